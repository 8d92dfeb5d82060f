/**
 * The VAE work that runs on the VAE worker thread (worker.ts): inspect an uploaded model, decode latents and
 * encode images. Loaded models are cached by their SHA-256, so a burst of requests against one decoder loads it
 * once.
 */
import type { ImageBatch } from "../../src/features/extractor.ts";
import { modelBundleFromStored } from "../../src/tfjs/model_bundle.ts";
import type { DecoderInfo, EncoderInfo, ModelOptions } from "../../src/vae/model_roles.ts";
import { type LoadedModel, loadModelBundle } from "../../models/tfjs-upload/load_model.ts";
import {
  decodeLatents,
  encodeMeans,
  inspectDecoder,
  inspectEncoder,
} from "../../models/tfjs-upload/vae_ops.ts";

/** A stored model as the worker receives it. */
export interface ModelSource {
  sha256: string;
  modelJson: string;
  weights: Uint8Array;
}

/** The operations of the VAE worker. */
export type VaeOp =
  | { op: "inspect"; role: "decoder" | "encoder"; model: ModelSource; options: ModelOptions }
  | { op: "decode"; decoder: ModelSource; info: DecoderInfo; z: Float32Array; n: number }
  | { op: "encode"; encoder: ModelSource; info: EncoderInfo; images: ImageBatch };

/** Results by op. */
export interface VaeResults {
  inspect: DecoderInfo | EncoderInfo;
  decode: ImageBatch;
  encode: Float32Array;
}

/** Loaded models (a few, by SHA-256) and the ops over them. */
export class VaeOps {
  readonly #models = new Map<string, Promise<LoadedModel>>();
  constructor(private readonly capacity = 4) {}

  async #model(src: ModelSource): Promise<LoadedModel> {
    let model = this.#models.get(src.sha256);
    if (model) {
      this.#models.delete(src.sha256);
    } else {
      model = loadModelBundle(modelBundleFromStored(src.modelJson, src.weights));
      model.catch(() => this.#models.delete(src.sha256));
      if (this.#models.size >= this.capacity) {
        const [oldest, evicted] = this.#models.entries().next().value!;
        this.#models.delete(oldest);
        evicted.then((m) => m.dispose(), () => {});
      }
    }
    this.#models.set(src.sha256, model);
    return await model;
  }

  /** Runs one op. */
  async run(req: VaeOp): Promise<VaeResults[VaeOp["op"]]> {
    switch (req.op) {
      case "inspect": {
        // A fresh load: the upload is not stored yet, and a failing model must not stay cached.
        const model = await loadModelBundle(modelBundleFromStored(req.model.modelJson, req.model.weights));
        try {
          return req.role === "decoder"
            ? await inspectDecoder(model, req.options)
            : await inspectEncoder(model, req.options);
        } finally {
          model.dispose();
        }
      }
      case "decode":
        return await decodeLatents(await this.#model(req.decoder), req.info, req.z, req.n);
      case "encode":
        return await encodeMeans(await this.#model(req.encoder), req.info, req.images);
    }
  }

  /** Frees every loaded model. */
  async dispose(): Promise<void> {
    for (const m of this.#models.values()) await m.then((x) => x.dispose(), () => {});
    this.#models.clear();
  }
}
