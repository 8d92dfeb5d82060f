/** Shared steps of the VAE route tests: a run to attach models to, a grid request, a service that cleans up. */
import assert from "node:assert/strict";
import type { Database } from "../../db/database.ts";
import { closeVaeRunner } from "../../engine/vae/runner.ts";
import { npyOf, randomFeatures } from "../../tools/arrays.ts";
import { postJson, postNpy, startTestService, type TestService } from "../_support/service.ts";

/** A run against a small feature reference (grids need no feature space). */
export async function newRun(s: TestService): Promise<string> {
  const ref = await (await postNpy(s, "/v1/references?name=r", npyOf(randomFeatures(20, 4, 1), 20, 4)))
    .json();
  const run = await (await postJson(s, "/v1/runs", { name: "vae", reference: ref.id })).json();
  return run.id;
}

/** POSTs a grid request (JSON) and fetches its PNG. */
export async function grid(s: TestService, runId: string, body: unknown) {
  const res = await postJson(s, `/v1/runs/${runId}/grids`, body);
  const json = await res.json();
  assert.ok(res.status === 201 || res.status === 200, JSON.stringify(json));
  const png = await s.request(json.url);
  assert.equal(png.status, 200);
  assert.equal(png.headers.get("content-type"), "image/png");
  return { status: res.status, json, bytes: new Uint8Array(await png.arrayBuffer()) };
}

/** Runs fn against a test service on db, stopping its VAE worker and background work afterwards. */
export async function withService(db: Database, fn: (s: TestService) => Promise<void>) {
  const s = await startTestService(db);
  try {
    await fn(s);
  } finally {
    closeVaeRunner(s.deps);
    await s.close();
  }
}
