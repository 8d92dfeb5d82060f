/**
 * The GPU host: a feature-extraction worker for the machine with the accelerator. POST /v1/features?space=S takes
 * images (.npy image array or multipart PNG/JPEG) and answers their features as a float32 N x D .npy; GET
 * /v1/health reports whether the model is ready and how many images are waiting (clients pick the least
 * loaded host with it). An .npy's pixels go to the GPU as they came (uint8 stays uint8: the GPU converts).
 */
import { Hono } from "hono";
import { UnauthorizedError, UnsupportedMediaTypeError } from "../../src/errors.ts";
import { encodeNpy } from "../../src/tensors/npy.ts";
import { type BodyEnv, guardBodies, readBodyBytes, requestContentType } from "../body.ts";
import { BodyBudget } from "../body_limits.ts";
import { handleError, handleNotFound } from "../errors.ts";
import { decodeUploadedImages, layoutParam, readImageParts } from "../image_body.ts";
import { type PixelBatch, pixelBatchFromNdArray, pixelsOfImages } from "../../src/features/pixel_batch.ts";
import { parseNpy } from "../../src/tensors/npy.ts";
import type { GpuHostService } from "./gpu_service.ts";

/** The host's settings. */
export interface GpuHostConfig {
  maxBodyBytes: number;
  /** Bytes the bodies of all requests in flight may hold together (default: four of the largest). */
  bodyMemoryBytes?: number;
  /** When set, requests need `Authorization: Bearer <token>`. */
  token?: string;
}

/** The GPU host app over its extraction service. */
export function createGpuHostApp(features: GpuHostService, config: GpuHostConfig): Hono<BodyEnv> {
  const app = new Hono<BodyEnv>();
  app.use("*", async (c, next) => {
    if (config.token && c.req.header("authorization") !== `Bearer ${config.token}`) {
      throw new UnauthorizedError(
        "invalid_gpu_host_token",
        "this GPU host needs its token (FIDSTREAM_GPU_HOST_TOKEN)",
      );
    }
    await next();
  });
  app.use(
    "*",
    guardBodies({
      maxBodyBytes: config.maxBodyBytes,
      budget: new BodyBudget(config.bodyMemoryBytes ?? 4 * config.maxBodyBytes),
    }),
  );
  app.post(
    "/v1/features",
    async (c) => {
      const space = c.req.query("space") ?? "mnist-lenet";
      const type = requestContentType(c);
      let images: PixelBatch;
      if (type === "multipart/form-data") {
        images = pixelsOfImages(await decodeUploadedImages(await readImageParts(c), features));
      } else if (type === "application/x-npy" || type === "application/octet-stream") {
        images = pixelBatchFromNdArray(
          parseNpy(await readBodyBytes(c), { shareBuffer: true }),
          layoutParam(c),
        );
      } else {
        throw new UnsupportedMediaTypeError(
          "unsupported_content_type",
          "send images as application/x-npy (an image array) or multipart/form-data (PNG/JPEG files)",
        );
      }
      const started = performance.now();
      const rows = await features.extract(space, images);
      const seconds = (performance.now() - started) / 1000;
      return c.body(
        encodeNpy({ dtype: "float32", shape: [rows.n, rows.dim], data: rows.data }) as Uint8Array<
          ArrayBuffer
        >,
        200,
        {
          "content-type": "application/x-npy",
          "x-images-per-second": (rows.n / Math.max(seconds, 1e-9)).toFixed(2),
        },
      );
    },
  );
  app.get("/v1/health", (c) => c.json(features.health()));
  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}
