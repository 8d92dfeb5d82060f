/** POST /v1/runs/:id/latents: an .npz with z_mean and z_log_var (N x latent_dim) -> running KL to N(0, I). */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { sumsUploadHandler } from "../sums_body.ts";

/** The latent upload route. */
export const latents = new Hono<AppEnv>();

latents.post("/v1/runs/:id/latents", sumsUploadHandler("latents"));
