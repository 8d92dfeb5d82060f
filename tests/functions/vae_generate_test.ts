/**
 * "Generate N samples from the decoder and evaluate them": decoded prior samples become the run's feature batches
 * in the reference's feature space (mnist-lenet), exactly once per request, and FID comes out at finalize.
 */
import assert from "node:assert/strict";
import { splitDigits } from "../../models/mnist-lenet/digits.ts";
import { closeVaeRunner } from "../../engine/vae/runner.ts";
import { encodeNpy } from "../../src/tensors/npy.ts";
import { npyOf, randomFeatures } from "../../tools/arrays.ts";
import { testEachDatabase } from "../_support/databases.ts";
import { postJson, postNpy, startTestService } from "../_support/service.ts";
import { committedModel, uploadModel, zipOf } from "../_support/vae.ts";

testEachDatabase(
  "generate decodes prior samples into the run's mnist-lenet batches once per request; FID at finalize",
  async (db) => {
    const s = await startTestService(db);
    try {
      // A reference of 1,000 held-out real digits, extracted in mnist-lenet by the service.
      const { heldOut } = splitDigits();
      const real = heldOut.images.subarray(0, 1000 * 784);
      const refRes = await postNpy(
        s,
        "/v1/references?name=mnist&features=mnist-lenet",
        encodeNpy({ dtype: "float32", shape: [1000, 28, 28], data: real }),
      );
      const ref = await refRes.json();
      assert.equal(refRes.status, 201, JSON.stringify(ref));
      assert.equal(ref.dim, 128);

      const newRun = async () =>
        (await (await postJson(s, "/v1/runs", { name: "vae", reference: ref.id, config: { kid: false } }))
          .json()).id as string;
      const run = await newRun();
      const noDecoder = await postJson(s, `/v1/runs/${run}/generate`, { n: 10 });
      assert.deepEqual([noDecoder.status, (await noDecoder.json()).error.code], [422, "decoder_missing"]);
      assert.equal((await uploadModel(s, run, "decoder", zipOf(committedModel("decoder")))).status, 201);

      const first = await postJson(s, `/v1/runs/${run}/generate`, { n: 1000, seed: 1, chunk: 400 });
      const body = await first.json();
      assert.equal(first.status, 200, JSON.stringify(body));
      assert.equal(body.features, "mnist-lenet");
      assert.equal(body.n, 1000);
      assert.deepEqual(body.batches.map((b: { n: number; replayed: boolean }) => [b.n, b.replayed]), [
        [400, false],
        [400, false],
        [200, false],
      ]);
      // A retry replays every chunk: nothing is counted twice.
      const retry = await (await postJson(s, `/v1/runs/${run}/generate`, { seed: 1, n: 1000, chunk: 400 }))
        .json();
      assert.equal(retry.replayed, true);
      assert.equal(retry.n, 1000);
      assert.deepEqual(
        retry.batches.map((b: { batch: number }) => b.batch),
        body.batches.map((b: { batch: number }) => b.batch),
      );
      const final = await (await s.request(`/v1/runs/${run}/finalize`, { method: "POST" })).json();
      assert.equal(final.n, 1000);
      assert.ok(Number.isFinite(final.fid) && final.fid > 0, `fid ${final.fid}`);

      // A decoder that ignores its input (every weight zero: one grey image) is much further from real digits.
      const flat = committedModel("decoder");
      flat.set("weights.bin", new Uint8Array(flat.get("weights.bin")!.length));
      const bad = await newRun();
      assert.equal((await uploadModel(s, bad, "decoder", zipOf(flat))).status, 201);
      assert.equal((await postJson(s, `/v1/runs/${bad}/generate`, { n: 300, seed: 1 })).status, 200);
      const badFinal = await (await s.request(`/v1/runs/${bad}/finalize`, { method: "POST" })).json();
      assert.ok(
        badFinal.fid > 2 * final.fid,
        `trained decoder fid ${final.fid}, constant decoder fid ${badFinal.fid}`,
      );
      // After finalize, new samples are refused but the old request still replays.
      const late = await postJson(s, `/v1/runs/${run}/generate`, { n: 10, seed: 9 });
      assert.deepEqual([late.status, (await late.json()).error.code], [409, "run_finalized"]);
      assert.equal(
        (await (await postJson(s, `/v1/runs/${run}/generate`, { n: 1000, seed: 1, chunk: 400 })).json()).n,
        1000,
      );

      // A reference without a feature space needs one named, and it must match the reference's dimension.
      const plainRef =
        await (await postNpy(s, "/v1/references?name=r", npyOf(randomFeatures(20, 4, 1), 20, 4))).json();
      const plain = (await (await postJson(s, "/v1/runs", { name: "p", reference: plainRef.id })).json()).id;
      assert.equal((await uploadModel(s, plain, "decoder", zipOf(committedModel("decoder")))).status, 201);
      const unnamed = await postJson(s, `/v1/runs/${plain}/generate`, { n: 10 });
      assert.deepEqual([unnamed.status, (await unnamed.json()).error.code], [422, "no_feature_space"]);
      const wrongDim = await postJson(s, `/v1/runs/${plain}/generate`, { n: 10, features: "mnist-lenet" });
      assert.deepEqual([wrongDim.status, (await wrongDim.json()).error.code], [422, "feature_dim_mismatch"]);
      assert.equal((await (await s.request(`/v1/runs/${plain}`)).json()).n, 0);
      const mismatch = await postJson(s, `/v1/runs/${run}/generate`, {
        n: 10,
        features: "fid-inception:2048",
      });
      assert.deepEqual([mismatch.status, (await mismatch.json()).error.code], [
        422,
        "feature_space_mismatch",
      ]);
      assert.equal((await postJson(s, `/v1/runs/${run}/generate`, { n: 0 })).status, 400);
    } finally {
      closeVaeRunner(s.deps);
      await s.close();
    }
  },
);
