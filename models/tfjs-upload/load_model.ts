/**
 * Loading an uploaded TensorFlow.js model (LayersModel or GraphModel) from its bundle, behind one small
 * interface, with tfjs' load and execution errors turned into 422s that name the unsupported layer or op.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import * as tfc from "@tensorflow/tfjs-converter";
import { FidstreamError, UnprocessableError } from "../../src/errors.ts";
import type { ModelBundle } from "../../src/tfjs/model_bundle.ts";
import { bundleIOHandler } from "./io_handler.ts";

/** A loaded model with one input. */
export interface LoadedModel {
  format: ModelBundle["format"];
  /** The input's declared shape, batch axis first (null = open); undefined when the model does not say. */
  inputShape: (number | null)[] | undefined;
  /** Each output's declared shape, batch axis first (null = open); undefined where the model does not say. */
  outputShapes: ((number | null)[] | undefined)[];
  /** Runs the model on a batch and returns every output (caller disposes them). */
  run(input: tf.Tensor): Promise<tf.Tensor[]>;
  dispose(): void;
}

const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}...` : s);

/** A tfjs error as a 422 naming what is unsupported (FidstreamErrors pass through). */
export function modelError(e: unknown, stage: "load" | "run"): FidstreamError {
  if (e instanceof FidstreamError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const layer = message.match(/Unknown layer: ([^\s.]+)/);
  if (layer) {
    return new UnprocessableError(
      "model_unknown_layer",
      `model.json uses layer type '${layer[1]}', which TensorFlow.js ${tf.version_core} cannot build ` +
        "(custom and Lambda layers are not supported); rebuild the model from built-in layers",
    );
  }
  const op = message.match(/Unknown op '([^']+)'/) ?? message.match(/Custom op (\S+) is not registered/);
  if (op) {
    return new UnprocessableError(
      "model_unsupported_op",
      `the graph uses op '${op[1]}', which TensorFlow.js ${tf.version_core} does not implement`,
    );
  }
  return new UnprocessableError(
    stage === "load" ? "model_load_failed" : "model_run_failed",
    `${stage === "load" ? "TensorFlow.js could not load the model" : "the model failed on a probe input"}: ` +
      clip(message),
  );
}

/** Loads a bundle with loadLayersModel or loadGraphModel through an in-memory IOHandler. */
export async function loadModelBundle(bundle: ModelBundle): Promise<LoadedModel> {
  const handler = bundleIOHandler(bundle);
  try {
    if (bundle.format === "layers-model") {
      const model = await tfl.loadLayersModel(handler, { strict: true });
      if (model.inputs.length !== 1) {
        model.dispose();
        throw new UnprocessableError(
          "model_inputs",
          `the model has ${model.inputs.length} inputs; expected one`,
        );
      }
      return {
        format: bundle.format,
        inputShape: model.inputs[0].shape,
        outputShapes: model.outputs.map((o) => o.shape),
        run: (x) => {
          const y = model.predict(x);
          return Promise.resolve(Array.isArray(y) ? y : [y]);
        },
        dispose: () => model.dispose(),
      };
    }
    const model = await tfc.loadGraphModel(handler);
    if (model.inputs.length !== 1) {
      model.dispose();
      throw new UnprocessableError(
        "model_inputs",
        `the graph has ${model.inputs.length} inputs; expected one`,
      );
    }
    const shape = model.inputs[0].shape;
    return {
      format: bundle.format,
      inputShape: shape ? shape.map((d) => (d < 0 ? null : d)) : undefined,
      outputShapes: model.outputs.map((o) => o.shape?.map((d) => (d < 0 ? null : d))),
      run: async (x) => {
        let y: tf.Tensor | tf.Tensor[];
        try {
          y = model.execute(x);
        } catch (e) {
          // Graphs with control flow or dynamic shapes only run asynchronously (tfjs says so in its error).
          if (!(e instanceof Error && /executeAsync/.test(e.message))) throw e;
          y = await model.executeAsync(x);
        }
        return Array.isArray(y) ? y : [y];
      },
      dispose: () => model.dispose(),
    };
  } catch (e) {
    throw modelError(e, "load");
  }
}
