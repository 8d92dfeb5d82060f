/**
 * Feature extractors by feature-space name. An entry names a module URL and the loader it exports, not a
 * function, so a Worker (models/runtime/extract_worker.ts) can import the same loader in its own thread:
 * functions cannot be posted to a Worker, URLs can. A loader has the type ExtractorLoader.
 *
 * Other models add their space to BUILT_IN below (e.g. "fid-inception" -> models/fid-inception/...).
 */
import { UnprocessableError } from "../../src/errors.ts";
import type { FeatureExtractor } from "../../src/features/extractor.ts";
import type { ExtractionSettings } from "./extraction_settings.ts";

/** What a registered module exports under `exportName`: a loader taking the extraction settings. */
export type ExtractorLoader = (settings: ExtractionSettings) => Promise<FeatureExtractor>;

/** Where a space's loader lives. */
export interface ExtractorSource {
  /** Absolute URL of the module (file: URL for local code). */
  module: string;
  /** Name of the exported ExtractorLoader. */
  exportName: string;
  /**
   * A worker pool does not cut a batch into slices of fewer images (default: the pool's own, 16): one
   * fid-inception image takes ~0.25 s, so even 1-image slices pay; a 28x28 digit takes microseconds.
   */
  minImagesPerTask?: number;
  /**
   * The outputs a space may name ("fid-inception:768"), the first being the default; absent: only the default
   * output. Checked here, in the caller's thread, so no name ever reaches a worker's property lookups.
   */
  outputs?: readonly string[];
}

const BUILT_IN: Record<string, ExtractorSource> = {
  "mnist-lenet": {
    module: new URL("../mnist-lenet/model.ts", import.meta.url).href,
    exportName: "loadMnistLenet",
    outputs: ["features", "logits"],
  },
  "fid-inception": {
    module: new URL("../fid-inception/loader.ts", import.meta.url).href,
    exportName: "loadFidInception",
    minImagesPerTask: 1,
    outputs: ["2048", "768", "192", "64", "logits"],
  },
};

const sources = new Map<string, ExtractorSource>(Object.entries(BUILT_IN));

/** Adds (or replaces) a feature space; a Worker pool sends the source along, so its workers see it too. */
export function registerExtractor(space: string, source: ExtractorSource): void {
  sources.set(space, { ...source });
}

/** Names of every registered feature space. */
export function knownSpaces(): string[] {
  return [...sources.keys()].sort();
}

/** The source of a space; UnprocessableError naming the known spaces when it is not registered. */
export function extractorSource(space: string): ExtractorSource {
  const source = sources.get(space);
  if (!source) {
    throw new UnprocessableError(
      "unknown_feature_space",
      `no feature extractor is registered for space ${JSON.stringify(space)}; known spaces: ${
        knownSpaces().join(", ")
      }`,
    );
  }
  return source;
}

/**
 * Checks that the space is registered and `output` (undefined: the default) is one it lists; a 422 naming the
 * known ones otherwise.
 */
export function checkOutput(space: string, output: string | undefined): void {
  const outputs = extractorSource(space).outputs ?? [];
  if (output === undefined) return;
  if (!outputs.includes(output)) {
    throw new UnprocessableError(
      "unknown_output",
      `feature space ${space} has no output ${JSON.stringify(output)}; ` +
        (outputs.length > 0 ? `its outputs: ${outputs.join(", ")}` : "it has its default output only"),
    );
  }
}

/** Imports a space's module and runs its loader in this thread. */
export async function loadExtractor(
  space: string,
  settings: ExtractionSettings = {},
): Promise<FeatureExtractor> {
  const source = extractorSource(space);
  const mod = await import(source.module);
  const loader = mod[source.exportName] as ExtractorLoader | undefined;
  if (typeof loader !== "function") {
    throw new UnprocessableError(
      "extractor_loader_missing",
      `module ${source.module} exports no loader function ${source.exportName} for space ${space}`,
    );
  }
  const extractor = await loader(settings);
  if (extractor.space !== space) {
    extractor.dispose();
    throw new UnprocessableError(
      "extractor_space_mismatch",
      `the loader for space ${space} returned an extractor of space ${extractor.space}`,
    );
  }
  return extractor;
}
