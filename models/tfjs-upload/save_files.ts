/** Saving a LayersModel as the files tfjs' loaders read (model.json + one weight shard), in memory. */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** model.json and weights.bin of a LayersModel, as a path -> bytes map (write them out or zip them). */
export async function layersModelFiles(model: tfl.LayersModel): Promise<Map<string, Uint8Array>> {
  let files: Map<string, Uint8Array> | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    const weights = artifacts.weightData instanceof ArrayBuffer
      ? new Uint8Array(artifacts.weightData)
      : new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData ?? []));
    const json = {
      format: "layers-model",
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
    };
    files = new Map([
      ["model.json", new TextEncoder().encode(JSON.stringify(json))],
      ["weights.bin", weights],
    ]);
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } });
  }));
  return files!;
}
