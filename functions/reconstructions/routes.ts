/** POST /v1/runs/:id/reconstructions: an .npz with x and x_hat in [0,1] -> running recon_bce / recon_mse. */
import { Hono } from "hono";
import { reconstructionBatch } from "../../src/stats/reconstruction.ts";
import { limitBody } from "../body.ts";
import type { AppEnv } from "../env.ts";
import { requireFloatArrays, storeSumsUpload } from "../sums_upload.ts";

/** The reconstruction upload route. */
export const reconstructions = new Hono<AppEnv>();

reconstructions.post("/v1/runs/:id/reconstructions", limitBody(), async (c) => {
  const receipt = await storeSumsUpload(c, "reconstructions", (arrays) => {
    const [x, xHat] = requireFloatArrays(arrays, ["x", "x_hat"]);
    const n = x.shape[0], pixels = x.data.length / n;
    return {
      n,
      width: pixels,
      widthName: "values",
      sums: { ...reconstructionBatch(x.data, xHat.data, n, pixels) },
    };
  });
  return c.json({ upload: receipt.upload, n: receipt.n, replayed: receipt.replay });
});
