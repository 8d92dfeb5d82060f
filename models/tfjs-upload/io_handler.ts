/**
 * A TensorFlow.js IOHandler that serves a model from an in-memory bundle (model.json + concatenated weights):
 * tfjs' loaders read only what this returns, so loading never touches a filesystem or the network.
 */
import type { io } from "@tensorflow/tfjs-core";
import type { ModelBundle } from "../../src/tfjs/model_bundle.ts";

/** The IOHandler whose load() returns the bundle's artifacts (a fresh copy of the weights each time). */
export function bundleIOHandler(bundle: ModelBundle): io.IOHandler {
  const m = bundle.manifest;
  return {
    load: () => {
      const weightData = bundle.weightData.slice().buffer;
      return Promise.resolve({
        modelTopology: m.modelTopology as io.ModelArtifacts["modelTopology"],
        format: bundle.format,
        generatedBy: typeof m.generatedBy === "string" ? m.generatedBy : undefined,
        convertedBy: typeof m.convertedBy === "string" ? m.convertedBy : undefined,
        trainingConfig: m.trainingConfig as io.ModelArtifacts["trainingConfig"],
        signature: m.signature as io.ModelArtifacts["signature"],
        userDefinedMetadata: m.userDefinedMetadata as io.ModelArtifacts["userDefinedMetadata"],
        modelInitializer: m.modelInitializer as io.ModelArtifacts["modelInitializer"],
        initializerSignature: m.initializerSignature as io.ModelArtifacts["initializerSignature"],
        weightSpecs: bundle.weightSpecs as io.WeightsManifestEntry[],
        weightData,
      });
    },
  };
}
