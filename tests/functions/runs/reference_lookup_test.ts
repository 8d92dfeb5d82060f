/** POST /v1/runs names its reference by id, or by name when the name is unique in the caller's project. */
import assert from "node:assert/strict";
import { createApiKey } from "../../../functions/auth/api_key.ts";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";
import {
  postJson,
  postNpy,
  startTestService,
  testEachService,
  type TestService,
} from "../../_support/service.ts";

const D = 4;

interface RunOrError {
  reference: string;
  error: { code: string; message: string };
}

async function reference(s: TestService, name: string, seed: number): Promise<string> {
  const res = await postNpy(
    s,
    `/v1/references?name=${encodeURIComponent(name)}`,
    npyOf(randomFeatures(10, D, seed), 10, D),
  );
  assert.equal(res.status, 201);
  return (await res.json()).id;
}

async function runAgainst(s: TestService, ref: string): Promise<[number, RunOrError]> {
  const res = await postJson(s, "/v1/runs", { name: "r", reference: ref });
  return [res.status, await res.json()];
}

testEachService("a run names its reference by id, or by a name unique in the project", async (s) => {
  const train = await reference(s, "cifar10-train", 1);
  const [status, run] = await runAgainst(s, "cifar10-train");
  assert.equal(status, 201, JSON.stringify(run));
  assert.equal(run.reference, train, "the name resolves to the reference's id");
  assert.equal((await runAgainst(s, train))[1].reference, train, "ids still work");

  const [missing, body] = await runAgainst(s, "cifar10-test");
  assert.equal(missing, 422);
  assert.equal(body.error.code, "reference_not_found");
  assert.match(body.error.message, /no reference has the id or name "cifar10-test"/);

  const second = await reference(s, "cifar10-train", 2);
  const [ambiguous, err] = await runAgainst(s, "cifar10-train");
  assert.equal(ambiguous, 422);
  assert.equal(err.error.code, "reference_ambiguous");
  assert.ok(err.error.message.includes(`${second}, ${train}`), err.error.message);
  assert.equal((await runAgainst(s, second))[1].reference, second, "an id settles the ambiguity");
});

testEachDatabase("another project's reference is not found by its name", async (db) => {
  const s = await startTestService(db, { auth: "on" });
  try {
    const [a, b] = [
      (await createApiKey(s.deps.db, "team-a", "write")).key,
      (await createApiKey(s.deps.db, "team-b", "write")).key,
    ];
    const as = (key: string, path: string, body: BodyInit, type: string) =>
      s.request(path, {
        method: "POST",
        body,
        headers: { authorization: `Bearer ${key}`, "content-type": type },
      });
    const data = npyOf(randomFeatures(10, D, 1), 10, D) as BodyInit;
    assert.equal((await as(a, "/v1/references?name=shared", data, "application/x-npy")).status, 201);
    const run = JSON.stringify({ name: "r", reference: "shared" });
    const foreign = await as(b, "/v1/runs", run, "application/json");
    assert.equal(foreign.status, 422);
    assert.equal((await foreign.json()).error.code, "reference_not_found");
    assert.equal((await as(a, "/v1/runs", run, "application/json")).status, 201);
  } finally {
    await s.close();
  }
});
