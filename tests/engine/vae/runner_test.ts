/** The VAE worker: results and typed errors cross the thread; an operation past its time limit is a 422. */
import assert from "node:assert/strict";
import { UnprocessableError } from "../../../src/errors.ts";
import { modelBundleFromFiles } from "../../../src/tfjs/model_bundle.ts";
import { priorSamples } from "../../../src/vae/prior.ts";
import { workerVaeRunner } from "../../../engine/vae/runner.ts";
import { modelSha256 } from "../../../engine/vae/stored_model.ts";
import { committedModel } from "../../_support/vae.ts";

const bundle = modelBundleFromFiles(committedModel("decoder"));
const source = {
  sha256: await modelSha256(bundle.modelJson, bundle.weightData),
  modelJson: bundle.modelJson,
  weights: bundle.weightData,
};

Deno.test({
  name: "the worker inspects and decodes; its typed errors arrive with their class and code",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const runner = workerVaeRunner();
    try {
      const info = await runner.run({ op: "inspect", role: "decoder", model: source, options: {} });
      assert.deepEqual(info, { role: "decoder", latentDim: 8, imageShape: [28, 28, 1], outputRange: "unit" });
      const z = priorSamples(1, 5, 8);
      const a = await runner.run({ op: "decode", decoder: source, info: info as never, z, n: 5 });
      const b = await runner.run({ op: "decode", decoder: source, info: info as never, z, n: 5 });
      assert.equal(a.data.length, 5 * 784);
      assert.deepEqual(a.data, b.data);
      await assert.rejects(
        runner.run({ op: "inspect", role: "decoder", model: source, options: { latentDim: 3 } }),
        (e) => e instanceof UnprocessableError && e.code === "latent_dim_mismatch",
      );
    } finally {
      runner.close();
    }
  },
});

Deno.test({
  name: "an operation past the time limit is a 422 and the worker is replaced",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const runner = workerVaeRunner({ timeoutMs: 1 });
    try {
      await assert.rejects(
        runner.run({ op: "inspect", role: "decoder", model: source, options: {} }),
        (e) => e instanceof UnprocessableError && e.code === "model_timeout",
      );
    } finally {
      runner.close();
    }
  },
});
