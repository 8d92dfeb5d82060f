/** The HTTP contract end to end, in process, on PGlite and on a real PostgreSQL. */
import assert from "node:assert/strict";
import { countBatches } from "../../db/store/batches.ts";
import { frechetDistance } from "../../src/stats/frechet.ts";
import { meanPairwiseDistance } from "../../src/stats/pairwise_distance.ts";
import { prdc } from "../../src/stats/prdc.ts";
import { batchUnitMoments, vendiScore } from "../../src/stats/vendi.ts";
import { encodeNpy } from "../../src/tensors/npy.ts";
import { encodeNpz } from "../../src/tensors/npz.ts";
import { naiveMeanCov, npyOf, randomFeatures } from "../../tools/arrays.ts";
import { testEachDatabase } from "../_support/databases.ts";
import {
  postJson,
  postNpy,
  readEvents,
  startTestService,
  testEachService,
  type TestService,
} from "../_support/service.ts";

const D = 6;

function close(actual: number, expected: number, rel = 1e-9) {
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);
}

async function createReference(s: TestService, data: Float32Array, n: number) {
  const res = await postNpy(s, "/v1/references?name=real%20digits", npyOf(data, n, D));
  assert.equal(res.status, 201);
  return await res.json() as { id: string; dim: number; n: number };
}

async function createRun(s: TestService, reference: string, config: Record<string, unknown> = {}) {
  const res = await postJson(s, "/v1/runs", {
    name: "vae seed 1",
    reference,
    tags: ["vae", "seed:1"],
    config,
  });
  assert.equal(res.status, 201);
  return await res.json() as { id: string; dim: number; status: string };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}

function offlineFid(ref: Float32Array, gen: Float32Array) {
  const a = naiveMeanCov(ref, ref.length / D, D), b = naiveMeanCov(gen, gen.length / D, D);
  return frechetDistance(a.mu, a.cov, b.mu, b.cov);
}

testEachService(
  "a finalized run's FID equals the offline Frechet distance of every accepted sample",
  async (s) => {
    const ref1 = randomFeatures(120, D, 1), ref2 = randomFeatures(80, D, 2);
    const ref = await createReference(s, ref1, 120);
    assert.deepEqual([ref.dim, ref.n], [D, 120]);
    const more = await postNpy(s, `/v1/references/${ref.id}/batches`, npyOf(ref2, 80, D), "r2");
    assert.equal((await more.json()).n, 200);
    const run = await createRun(s, ref.id, { kid: { subsets: 5, subset_size: 30 } });
    const batches = [
      randomFeatures(40, D, 10, 0.3),
      randomFeatures(25, D, 11, 0.3),
      randomFeatures(35, D, 12, 0.3),
    ];
    let expectedN = 0;
    for (const [i, b] of batches.entries()) {
      const res = await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(b, b.length / D, D), `b${i}`);
      expectedN += b.length / D;
      assert.equal(res.status, 200);
      assert.equal((await res.json()).n, expectedN);
    }
    const fin = await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" });
    assert.equal(fin.status, 200);
    const final = await fin.json();
    assert.equal(final.n, 100);
    close(final.fid, offlineFid(concat([ref1, ref2]), concat(batches)));
    assert.ok(final.fid > 0);
    assert.equal(final.kid.subsets, 5);
    assert.equal(final.kid.subset_size, 30);
    assert.ok(Number.isFinite(final.kid.mean) && final.kid.std >= 0);
    // Diversity: the Vendi score of both sides, PRDC against the reference features and the mean pairwise
    // distance, as the core computes them.
    const gen = concat(batches), real = concat([ref1, ref2]);
    const { vendi: refVendi, ...refView } = final.reference;
    assert.deepEqual(refView, { id: ref.id, n: 200 });
    close(refVendi, vendiScore(batchUnitMoments(real, 200, D)));
    close(final.vendi, vendiScore(batchUnitMoments(gen, 100, D)));
    const expectedPrdc = prdc(real, 200, gen, 100, D, { k: 5, maxSamples: 2000, seed: 2020 });
    assert.deepEqual(final.prdc, {
      precision: expectedPrdc.precision,
      recall: expectedPrdc.recall,
      density: expectedPrdc.density,
      coverage: expectedPrdc.coverage,
      k: 5,
      real_samples: 200,
      fake_samples: 100,
    });
    assert.ok(
      final.prdc.precision > 0 && final.prdc.recall > 0,
      "overlapping sets have some precision and recall",
    );
    close(final.mean_pairwise_distance, meanPairwiseDistance(gen, 100, D, { maxSamples: 2000 }));

    const again = await (await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
    assert.deepEqual(again, final, "finalize is idempotent");
    const got = await (await s.request(`/v1/runs/${run.id}`)).json();
    assert.equal(got.status, "finalized");
    assert.deepEqual(got.final, final);

    const late = await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(batches[0], 40, D), "new-key");
    assert.equal(late.status, 409);
    assert.equal((await late.json()).error.code, "run_finalized");
    const retry = await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(batches[1], 25, D), "b1");
    assert.equal(retry.status, 200, "a retry of an accepted batch still replays after finalize");
    const replayed = await retry.json();
    assert.deepEqual([replayed.n, replayed.replayed], [65, true]);
  },
);

testEachService(
  "a retry with the same Idempotency-Key counts nothing twice; another body under it is a 409",
  async (s) => {
    const ref = await createReference(s, randomFeatures(50, D, 3), 50);
    const run = await createRun(s, ref.id);
    const body = npyOf(randomFeatures(20, D, 4), 20, D);
    const first = await (await postNpy(s, `/v1/runs/${run.id}/batches`, body, "same")).json();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => postNpy(s, `/v1/runs/${run.id}/batches`, body, "same")),
    );
    for (const r of results) {
      assert.equal(r.status, 200);
      const j = await r.json();
      assert.deepEqual([j.batch, j.n, j.replayed], [first.batch, 20, true]);
    }
    const other = await postNpy(
      s,
      `/v1/runs/${run.id}/batches`,
      npyOf(randomFeatures(20, D, 5), 20, D),
      "same",
    );
    assert.equal(other.status, 409);
    assert.equal((await other.json()).error.code, "idempotency_key_reused");
    const got = await (await s.request(`/v1/runs/${run.id}`)).json();
    assert.equal(got.n, 20);
  },
);

testEachDatabase(
  "bad input gets a clear 4xx naming the problem and leaves the run's statistics unchanged",
  async (db) => {
    const s = await startTestService(db, { maxBodyBytes: 4096 });
    try {
      const refData = randomFeatures(60, D, 6);
      const ref = await createReference(s, refData, 60);
      const run = await createRun(s, ref.id);
      const good = randomFeatures(30, D, 7, 0.2);
      assert.equal((await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(good, 30, D), "good")).status, 200);

      const withNaN = randomFeatures(5, D, 8);
      withNaN[7] = NaN;
      const withInf = randomFeatures(5, D, 8);
      withInf[3] = Infinity;
      const bigEndian = npyOf(randomFeatures(2, D, 9), 2, D);
      const headerText = new TextDecoder().decode(bigEndian.subarray(10, 60));
      const beAt = 10 + headerText.indexOf("<f4");
      bigEndian[beAt] = ">".charCodeAt(0);
      const cases: Array<[string, Uint8Array, number, string, string?]> = [
        ["not an npy file", new TextEncoder().encode("hello world, not numpy"), 400, "npy"],
        ["truncated data", npyOf(randomFeatures(4, D, 9), 4, D).subarray(0, 100), 400, "npy"],
        [
          "wrong feature dimension",
          npyOf(randomFeatures(4, D + 1, 9), 4, D + 1),
          422,
          "feature_dim_mismatch",
        ],
        ["NaN", npyOf(withNaN, 5, D), 422, "feature"],
        ["Inf", npyOf(withInf, 5, D), 422, "feature"],
        [
          "empty batch",
          encodeNpy({ dtype: "float32", shape: [0, D], data: new Float32Array(0) }),
          422,
          "feature",
        ],
        [
          "uint8 dtype",
          encodeNpy({ dtype: "uint8", shape: [2, D], data: new Uint8Array(2 * D) }),
          422,
          "feature",
        ],
        ["1-D array", encodeNpy({ dtype: "float32", shape: [D], data: new Float32Array(D) }), 422, "feature"],
        ["big-endian floats", bigEndian, 400, "npy"],
        ["body over the limit", npyOf(randomFeatures(200, D, 9), 200, D), 413, "body_too_large"],
        ["wrong content type", npyOf(good, 30, D), 415, "unsupported_content_type", "text/plain"],
      ];
      for (const [what, body, status, codePart, type] of cases) {
        const res = await s.request(`/v1/runs/${run.id}/batches`, {
          method: "POST",
          body: body as BodyInit,
          headers: { "content-type": type ?? "application/x-npy", "idempotency-key": `bad-${what}` },
        });
        assert.equal(res.status, status, `${what}: status`);
        const err = (await res.json()).error;
        assert.ok(err.code.includes(codePart), `${what}: code ${err.code} should mention ${codePart}`);
        assert.ok(err.message.length > 10, `${what}: message "${err.message}"`);
      }
      const unknown = await postNpy(s, "/v1/runs/does-not-exist/batches", npyOf(good, 30, D), "x");
      assert.equal(unknown.status, 404);
      assert.equal((await unknown.json()).error.code, "run_not_found");
      const badRun = await postJson(s, "/v1/runs", { name: "x", reference: "nope" });
      assert.equal(badRun.status, 422);
      const noName = await postJson(s, "/v1/runs", { reference: ref.id });
      assert.equal(noName.status, 400);
      const notJson = await s.request("/v1/runs", {
        method: "POST",
        body: "{",
        headers: { "content-type": "application/json" },
      });
      assert.equal(notJson.status, 400);

      const final = await (await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
      assert.equal(final.n, 30, "only the good batch counted");
      close(final.fid, offlineFid(refData, good));
    } finally {
      await s.close();
    }
  },
);

testEachService(
  "SSE streams partial FID as batches arrive, and a late client first gets the latest state",
  async (s) => {
    const refData = randomFeatures(80, D, 20);
    const ref = await createReference(s, refData, 80);
    const run = await createRun(s, ref.id);
    const stream = await s.request(`/v1/runs/${run.id}/events`);
    assert.equal(stream.headers.get("content-type"), "text/event-stream");
    const seen = readEvents(stream, (e) => e.event === "final");
    const parts: Float32Array[] = [];
    for (let i = 0; i < 3; i++) {
      const b = randomFeatures(20, D, 30 + i, 0.1);
      parts.push(b);
      await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(b, 20, D), `k${i}`);
      await s.deps.scheduler.idle(); // each batch's partial metrics before the next batch
    }
    const late = await readEvents(await s.request(`/v1/runs/${run.id}/events`), () => true);
    assert.equal(late[0].event, "metrics");
    assert.equal(JSON.parse(late[0].data).n, 60, "a late client starts from the latest state");
    await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" });
    const events = await seen;
    const metrics = events.filter((e) => e.event === "metrics").map((e) => JSON.parse(e.data));
    assert.deepEqual(metrics.map((m) => m.n), [20, 40, 60]);
    close(metrics[1].fid, offlineFid(refData, concat(parts.slice(0, 2))));
    assert.equal(metrics[0].rank_deficient, undefined, "n=20 > D=6 is full rank");
    const final = JSON.parse(events.at(-1)!.data);
    assert.equal(events.at(-1)!.event, "final");
    close(final.fid, offlineFid(refData, concat(parts)));
  },
);

testEachService("a pytorch-fid style stats .npz reference gives the same FID as its features", async (s) => {
  const refData = randomFeatures(90, D, 40);
  const { mu, cov } = naiveMeanCov(refData, 90, D);
  const npz = encodeNpz({
    mu: { dtype: "float64", shape: [D], data: mu },
    sigma: { dtype: "float64", shape: [D, D], data: cov },
  });
  const res = await s.request("/v1/references?name=stats", {
    method: "POST",
    body: npz as BodyInit,
    headers: { "content-type": "application/octet-stream" },
  });
  assert.equal(res.status, 201);
  const ref = await res.json();
  assert.deepEqual([ref.source, ref.dim], ["stats", D]);
  const refuse = await postNpy(s, `/v1/references/${ref.id}/batches`, npyOf(refData, 90, D), "x");
  assert.equal(refuse.status, 409, "a stats reference takes no feature batches");
  const run = await createRun(s, ref.id);
  const gen = randomFeatures(50, D, 41, 0.5);
  await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(gen, 50, D), "g");
  const final = await (await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
  close(final.fid, offlineFid(refData, gen));
  assert.equal(final.kid, undefined, "no KID without reference features");

  const asym = new Float64Array(cov);
  asym[1] += 1;
  const bad = encodeNpz({
    mu: { dtype: "float64", shape: [D], data: mu },
    sigma: { dtype: "float64", shape: [D, D], data: asym },
  });
  const rej = await s.request("/v1/references?name=bad", { method: "POST", body: bad as BodyInit });
  assert.equal(rej.status, 422);
  assert.equal((await rej.json()).error.code, "stats_not_symmetric");
});

testEachDatabase("a statistics-only run drops folded features yet finalizes to the exact FID", async (db) => {
  const s = await startTestService(db);
  try {
    const refData = randomFeatures(70, D, 50);
    const ref = await createReference(s, refData, 70);
    const run = await createRun(s, ref.id, { retain_features: false });
    const parts = [randomFeatures(30, D, 51), randomFeatures(30, D, 52)];
    for (const [i, p] of parts.entries()) {
      await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(p, 30, D), `p${i}`);
    }
    const final = await (await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
    close(final.fid, offlineFid(refData, concat(parts)));
    assert.equal(final.kid, undefined);
    assert.deepEqual(await countBatches(s.deps.db, run.id), { batches: 2, withFeatures: 0 });
  } finally {
    await s.close();
  }
});

testEachService("the OpenAPI document describes every public route", async (s) => {
  const doc = await (await s.request("/v1/openapi.json")).json();
  assert.equal(doc.openapi, "3.1.0");
  for (
    const path of [
      "/v1/references",
      "/v1/references/{id}/batches",
      "/v1/runs",
      "/v1/runs/{id}/batches",
      "/v1/runs/{id}/events",
      "/v1/runs/{id}/finalize",
    ]
  ) assert.ok(doc.paths[path], path);
  // The metrics beyond FID are documented with their shapes.
  const metrics = doc.components.schemas.Metrics.properties;
  assert.deepEqual(Object.keys(metrics.fid_infinity.properties), ["value", "slope", "points"]);
  for (const key of ["vendi", "cmmd", "pending"]) assert.ok(metrics[key]?.description, key);
  assert.ok(
    doc.paths["/v1/runs"].post.requestBody.content["application/json"].schema.properties.config
      .properties.fid_infinity,
  );
  const missing = await s.request("/v1/nothing");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "route_not_found");
});

testEachService("run configs that would make finalize unbounded are refused with a 422", async (s) => {
  const ref = await createReference(s, randomFeatures(20, D, 60), 20);
  for (
    const config of [
      { kid: { subsets: 1e9 } },
      { kid: { subset_size: 1e7 } },
      { kid: "yes" },
      { prdc: { max_samples: 1e6 } },
      { prdc: { k: 0 } },
      { retain_features: "sometimes" },
    ]
  ) {
    const res = await postJson(s, "/v1/runs", { name: "x", reference: ref.id, config });
    assert.equal(res.status, 422, JSON.stringify(config));
    assert.match((await res.json()).error.code, /^bad_/);
  }
  assert.equal((await (await s.request("/v1/runs")).json()).runs.length, 0);
});
