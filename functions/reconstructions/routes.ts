/** POST /v1/runs/:id/reconstructions: an .npz with x and x_hat in [0,1] -> running recon_bce / recon_mse. */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { sumsUploadHandler } from "../sums_body.ts";

/** The reconstruction upload route. */
export const reconstructions = new Hono<AppEnv>();

reconstructions.post("/v1/runs/:id/reconstructions", sumsUploadHandler("reconstructions"));
