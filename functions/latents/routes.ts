/** POST /v1/runs/:id/latents: an .npz with z_mean and z_log_var (N x latent_dim) -> running KL to N(0, I). */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { storeSumsUpload } from "../sums_upload.ts";

/** The latent upload route. */
export const latents = new Hono<AppEnv>();

latents.post("/v1/runs/:id/latents", async (c) => {
  const receipt = await storeSumsUpload(c, "latents");
  return c.json({ upload: receipt.upload, n: receipt.n, replayed: receipt.replay });
});
