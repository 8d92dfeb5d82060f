/** POST /v1/runs/:id/latents: an .npz with z_mean and z_log_var (N x latent_dim) -> running KL to N(0, I). */
import { Hono } from "hono";
import { UnprocessableError } from "../../src/errors.ts";
import { klBatch } from "../../src/stats/kl_divergence.ts";
import { limitBody } from "../body.ts";
import type { AppEnv } from "../env.ts";
import { klSumsToJson } from "../pipeline/sample_sums_metrics.ts";
import { requireFloatArrays, storeSumsUpload } from "../sums_upload.ts";

/** The latent upload route. */
export const latents = new Hono<AppEnv>();

latents.post("/v1/runs/:id/latents", limitBody(), async (c) => {
  const receipt = await storeSumsUpload(c, "latents", (arrays) => {
    const [mean, logVar] = requireFloatArrays(arrays, ["z_mean", "z_log_var"]);
    if (mean.shape.length !== 2) {
      throw new UnprocessableError(
        "bad_shape",
        `z_mean must be N x latent_dim; got shape (${mean.shape.join(", ")})`,
      );
    }
    const [n, dim] = mean.shape;
    return {
      n,
      width: dim,
      widthName: "latent dimensions",
      sums: klSumsToJson(klBatch(mean.data, logVar.data, n, dim)),
    };
  });
  return c.json({ upload: receipt.upload, n: receipt.n, replayed: receipt.replay });
});
