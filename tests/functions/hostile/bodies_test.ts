/**
 * The hostile corpus (tests/functions/hostile/_corpus.ts) against every upload endpoint, on PGlite and PostgreSQL:
 * each body gets its clear 4xx with a JSON error naming the problem, nothing crashes, and nothing stored changes
 * (run and reference counts, batches, checkpoints, the list of references).
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../../db/database.ts";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";
import {
  postJson,
  postNpy,
  startTestService,
  testEachService,
  type TestService,
} from "../../_support/service.ts";
import { encodeNpz } from "../../../src/tensors/npz.ts";
import { DIM, type HostileCase, npyCorpus, npzCorpus, zipBomb } from "./_corpus.ts";

/** Everything a rejected upload could have changed. */
async function storedState(s: TestService, runId: string, refId: string) {
  const [counts] = rowsOf<Record<string, unknown>>(
    await s.deps.db.execute(sql`select
      (select count(*)::int from batches) as batches,
      (select count(*)::int from "references") as refs,
      (select count(*)::int from checkpoints) as checkpoints,
      (select coalesce(sum(n), 0)::int from checkpoints) as checkpoint_n,
      (select n from runs where id = ${runId}) as run_n,
      (select n from "references" where id = ${refId}) as ref_n`),
  );
  // postgres.js returns bigint as strings, PGlite as numbers.
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)]));
}

async function expectRefused(res: Response, c: HostileCase, where: string) {
  const text = await res.text();
  assert.equal(res.status, c.status, `${c.name} -> ${where}: ${res.status} ${text}`);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const { error } = JSON.parse(text);
  assert.ok(/^[a-z0-9_]+$/.test(error.code) && error.message.length > 10, `${c.name}: ${text}`);
}

async function setUp(s: TestService) {
  const ref =
    await (await postNpy(s, "/v1/references?name=hostile", npyOf(randomFeatures(10, DIM, 1), 10, DIM)))
      .json();
  const run = await (await postJson(s, "/v1/runs", { name: "hostile", reference: ref.id })).json();
  const ok = await postNpy(
    s,
    `/v1/runs/${run.id}/batches`,
    npyOf(randomFeatures(6, DIM, 2), 6, DIM),
    "first",
  );
  assert.equal(ok.status, 200);
  await s.deps.scheduler.idle();
  return { refId: ref.id as string, runId: run.id as string };
}

testEachService(
  "every hostile .npy body gets its 4xx on each upload endpoint and changes nothing",
  async (s) => {
    const { refId, runId } = await setUp(s);
    const before = await storedState(s, runId, refId);
    const corpus = npyCorpus();
    assert.ok(corpus.length >= 45, `${corpus.length} cases`);
    for (const [i, c] of corpus.entries()) {
      await expectRefused(await postNpy(s, `/v1/runs/${runId}/batches`, c.body, `k${i}`), c, "run batch");
      await expectRefused(
        await postNpy(s, `/v1/references/${refId}/batches`, c.body, `k${i}`),
        c,
        "reference batch",
      );
      // A new reference takes any D (and, with image uploads, a 3-D array may be images): no attack there.
      if (c.name !== "wrong D" && c.name !== "3-D") {
        await expectRefused(await postNpy(s, "/v1/references?name=x", c.body), c, "new reference");
      }
    }
    await s.deps.scheduler.idle();
    assert.deepEqual(await storedState(s, runId, refId), before);
    // The keys of refused bodies were not used up: a good body under one of them is accepted.
    const good = await postNpy(
      s,
      `/v1/runs/${runId}/batches`,
      npyOf(randomFeatures(2, DIM, 3), 2, DIM),
      "k0",
    );
    const reply = await good.json();
    assert.deepEqual([good.status, reply.n, reply.replayed], [200, before.run_n + 2, false]);
  },
);

testEachService(
  "every hostile .npz body gets its 4xx as a statistics reference and changes nothing",
  async (s) => {
    const { refId, runId } = await setUp(s);
    const before = await storedState(s, runId, refId);
    for (const c of npzCorpus()) {
      const res = await s.request("/v1/references?name=stats", {
        method: "POST",
        body: c.body as BodyInit,
        headers: { "content-type": "application/zip" },
      });
      await expectRefused(res, c, "stats reference");
    }
    assert.deepEqual(await storedState(s, runId, refId), before);
  },
);

testEachService(
  "wrong content types, empty bodies and bad idempotency keys are refused before parsing",
  async (s) => {
    const { refId, runId } = await setUp(s);
    const before = await storedState(s, runId, refId);
    const body = npyOf(randomFeatures(2, DIM, 9), 2, DIM) as BodyInit;
    const post = (path: string, headers: Record<string, string>, b: BodyInit = body) =>
      s.request(path, { method: "POST", body: b, headers });
    const cases: [Response, number][] = [
      [await post(`/v1/runs/${runId}/batches`, { "content-type": "text/plain" }), 415],
      [await post(`/v1/runs/${runId}/batches`, { "content-type": "application/json" }), 415],
      [
        await post(`/v1/runs/${runId}/batches`, { "content-type": "application/x-npy" }, new Uint8Array(0)),
        400,
      ],
      [
        await post(`/v1/runs/${runId}/batches`, {
          "content-type": "application/x-npy",
          "idempotency-key": "x".repeat(256),
        }),
        400,
      ],
      [await post("/v1/references?name=x", { "content-type": "image/png" }), 415],
      [await post("/v1/references", { "content-type": "application/x-npy" }), 400], // no name
      [
        await post(`/v1/runs/${encodeURIComponent("x'); drop table runs; --")}/batches`, {
          "content-type": "application/x-npy",
        }),
        404,
      ],
      [
        await post(`/v1/references/${encodeURIComponent("' or 1=1 --")}/batches`, {
          "content-type": "application/x-npy",
        }),
        404,
      ],
    ];
    for (const [i, [res, status]] of cases.entries()) {
      assert.equal(
        res.status,
        status,
        `case ${i}: ${await res.text()}`,
      );
    }
    assert.deepEqual(await storedState(s, runId, refId), before);
  },
);

testEachDatabase(
  "a zip bomb inflates no further than a body may be large: 413 before inflating",
  async (db) => {
    // 8 MiB of zeros deflate to ~8 KiB; with 1 MiB bodies allowed, the archive may not declare more either.
    const s = await startTestService(db, { maxBodyBytes: 1 << 20 });
    try {
      const res = await s.request("/v1/references?name=bomb", {
        method: "POST",
        body: zipBomb(8 << 20) as BodyInit,
        headers: { "content-type": "application/zip" },
      });
      const body = await res.json();
      assert.deepEqual([res.status, body.error.code], [413, "npz_too_large"], JSON.stringify(body));
    } finally {
      await s.close();
    }
  },
);

testEachService(
  "a reference wider than 4096 features is a 422, so no D x D statistics can exhaust memory",
  async (s) => {
    // Three rows of 200000 columns are a 2.4 MB body, but their co-moment would be 160 GB.
    const wide = npyOf(new Float32Array(3 * 200_000), 3, 200_000);
    const res = await postNpy(s, "/v1/references?name=wide", wide);
    const body = await res.json();
    assert.deepEqual([res.status, body.error.code], [422, "dim_too_large"], JSON.stringify(body));
    const eye = (d: number) => Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0));
    const stats = encodeNpz({
      mu: { dtype: "float64", shape: [4097], data: new Float64Array(4097) },
      sigma: { dtype: "float64", shape: [4097, 4097], data: eye(4097) },
    });
    const res2 = await s.request("/v1/references?name=wide", {
      method: "POST",
      body: stats as BodyInit,
      headers: { "content-type": "application/zip" },
    });
    assert.equal(res2.status, 422, await res2.text());
    // 4096 itself is fine.
    const ok = await postNpy(s, "/v1/references?name=vgg", npyOf(randomFeatures(2, 4096, 1), 2, 4096));
    assert.equal(ok.status, 201, await ok.text());
    assert.deepEqual(
      (await (await s.request("/v1/references")).json()).references.map((r: { dim: number }) => r.dim),
      [4096],
    );
  },
);
