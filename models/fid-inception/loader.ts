/**
 * The "fid-inception" feature space's loader (registered in models/runtime/registry.ts, so the service, the
 * worker pool and the CLI all load it by name).
 *
 * Weights, in order: the `fidWeights` setting (FIDSTREAM_FID_WEIGHTS), else the converted weights that
 * `deno task models:fetch` leaves in <data dir>/models/fid-inception. The setting may name a folder of converted
 * weights (manifest.json + weights.bin) or pytorch-fid's .pth itself: a .pth is converted once into
 * <data dir>/models/fid-inception-pth-<sha256 prefix>/ (keyed by content, so another .pth never reuses it) unless
 * the default folder already holds that very file's conversion.
 *
 * The engine: on a hardware WebGPU adapter this project's WGSL kernels ("wgsl", wgsl/network.ts), which open
 * their own device and never start tfjs; else the CPU engines (below). On tfjs' WebGPU backend a tensor over the
 * adapter's buffer limit computes wrong with no error: tfjs extraction is cut into slices small enough for the
 * limit (models/runtime/backend.ts explains why); the WGSL engine sizes its own forwards by the limits.
 */
import { InvalidInputError, NotFoundError, UnavailableError } from "../../src/errors.ts";
import type { FeatureExtractor, FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import {
  type BackendInfo,
  chooseAutoBackend,
  currentBackendInfo,
  ensureBackend,
  extractInChunks,
  imagesPerSlice,
  probeGpuAdapter,
} from "../runtime/backend.ts";
import type { BackendName } from "../runtime/extraction_settings.ts";
import { loadOpenBlas, openBlasUnavailableReason } from "../../src/native/openblas.ts";
import {
  DEFAULT_DATA_DIR,
  type ExtractionSettings,
  type InceptionEngine,
} from "../runtime/extraction_settings.ts";
import { FidInceptionExtractor } from "./extractor.ts";
import { buildFidInception } from "./network.ts";
import { buildFidInceptionWasm, wasmInceptionAvailable } from "./wasm_network.ts";
import { WgslFidInceptionExtractor } from "./wgsl/extractor.ts";
import {
  convertCheckpoint,
  defaultWeightsDir,
  FID_WEIGHTS_FILE,
  type FoldedManifest,
  loadFolded,
  MANIFEST_FILE,
  sha256Hex,
  writeFolded,
} from "./weights_format.ts";

/** Images per forward pass unless WebGPU's buffer limit asks for fewer (bounds memory, not the result). */
export const FID_INCEPTION_DEFAULT_BATCH = 16;

/** Options of loadFidInception: the extraction settings, and how many images one forward pass holds. */
export interface FidInceptionLoadOptions extends ExtractionSettings {
  /** Images per forward pass (default 16). */
  batchSize?: number;
}

async function readManifest(dir: string): Promise<FoldedManifest | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/${MANIFEST_FILE}`)) as FoldedManifest;
  } catch {
    return undefined; // absent or unreadable: treated as "not converted yet"
  }
}

function missingWeights(what: string): NotFoundError {
  return new NotFoundError(
    "fid_inception_weights_missing",
    `${what}; run \`deno task models:fetch\` once to download ${FID_WEIGHTS_FILE} and convert it, ` +
      "or set FIDSTREAM_FID_WEIGHTS to that .pth (or to a folder of converted weights)",
  );
}

/**
 * The folder of converted weights to load: `fidWeights` when it is a folder, its conversion when it is a .pth
 * (converted now if no earlier conversion of the same bytes exists), else the data dir's default. Throws
 * NotFoundError when a named path does not exist.
 */
export async function resolveFidInceptionWeights(
  opts: Pick<ExtractionSettings, "fidWeights" | "dataDir"> = {},
): Promise<string> {
  const named = opts.fidWeights;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  if (named === undefined) return defaultWeightsDir(dataDir);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(named);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw missingWeights(`the FID InceptionV3 weights ${named} do not exist`);
    }
    throw e;
  }
  if (info.isDirectory) return named;
  return await convertOnce(named, dataDir);
}

/** The folder holding the conversion of the .pth at `pthPath`, converting it if none exists yet. */
async function convertOnce(pthPath: string, dataDir: string): Promise<string> {
  const bytes = await Deno.readFile(pthPath);
  const sha = await sha256Hex(bytes);
  const fetched = defaultWeightsDir(dataDir);
  if ((await readManifest(fetched))?.source?.sha256 === sha) return fetched;
  const target = `${dataDir}/models/fid-inception-pth-${sha.slice(0, 16)}`;
  if ((await readManifest(target))?.source?.sha256 === sha) return target;
  const converted = await convertCheckpoint(bytes, { sourceFile: pthPath.split("/").pop() });
  // Convert into a private folder and rename it into place: pool workers may convert at the same time, and
  // a reader must never see half a conversion. The loser of the race keeps the winner's identical folder.
  await Deno.mkdir(`${dataDir}/models`, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: `${dataDir}/models`, prefix: ".fid-inception-converting-" });
  const done = async () => (await readManifest(target))?.source?.sha256 === sha;
  try {
    await writeFolded(tmp, converted);
    try {
      await Deno.rename(tmp, target);
    } catch (e) {
      if (await done()) return target; // another worker got there first
      // An unusable leftover (an interrupted manual copy, say) is in the way: replace it.
      await Deno.remove(target, { recursive: true }).catch(() => {});
      await Deno.rename(tmp, target).catch(() => {
        throw e;
      });
    }
  } catch (e) {
    if (!(await done())) throw e;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  return target;
}

/** Wraps the network so that on WebGPU no single tfjs call holds more images than the buffer limit allows. */
class FidInceptionSpace implements FeatureExtractor {
  readonly space = "fid-inception";
  readonly dims: Record<string, number>;
  readonly #inner: FidInceptionExtractor;
  readonly #batchSize: number;
  readonly #backendInfo: () => BackendInfo;

  constructor(inner: FidInceptionExtractor, batchSize: number, backendInfo: () => BackendInfo) {
    this.#inner = inner;
    this.#batchSize = batchSize;
    this.#backendInfo = backendInfo;
    this.dims = { ...inner.dims };
  }

  async extract(images: ImageBatch, output?: string): Promise<FeatureRows> {
    const bytes = this.#inner.largestTensorBytesPerImage(images.height, images.width, images.channels);
    const perSlice = imagesPerSlice(this.#backendInfo(), bytes, this.#batchSize);
    if (perSlice >= images.n) return await this.#inner.extract(images, output);
    return await extractInChunks(images, perSlice, (slice) => this.#inner.extract(slice, output));
  }

  dispose(): void {
    this.#inner.dispose();
  }
}

/** Wraps a built extractor in the buffer-limit slicing (exported for tests, which pass a fake backend). */
export function fidInceptionSpace(
  inner: FidInceptionExtractor,
  opts: { batchSize?: number; backendInfo?: () => BackendInfo } = {},
): FeatureExtractor {
  return new FidInceptionSpace(
    inner,
    opts.batchSize ?? FID_INCEPTION_DEFAULT_BATCH,
    opts.backendInfo ?? currentBackendInfo,
  );
}

/** The registry's loader: converted weights (see the module comment) as a FeatureExtractor on `backend`. */
export async function loadFidInception(opts: FidInceptionLoadOptions = {}): Promise<FeatureExtractor> {
  const wanted = await resolveInceptionEngine(opts);
  const dir = await resolveFidInceptionWeights(opts);
  let weights;
  try {
    weights = await loadFolded(dir);
  } catch (e) {
    if (e instanceof NotFoundError) throw missingWeights(`no converted FID InceptionV3 weights in ${dir}`);
    throw e;
  }
  const batchSize = opts.batchSize ?? FID_INCEPTION_DEFAULT_BATCH;
  if (wanted === "wgsl") {
    try {
      return await WgslFidInceptionExtractor.create(weights, { capacity: opts.batchSize });
    } catch (e) {
      // Chosen by the auto policy on a GPU that then failed to open: the CPU engines still work. Asked for by
      // name (the wgsl engine or the webgpu backend configured): the failure is the answer.
      if (opts.inceptionEngine === "wgsl" || opts.backend === "webgpu") throw e;
      console.error(`the WGSL engine could not start (${e instanceof Error ? e.message : e}); using the CPU`);
      await ensureBackend("wasm");
    }
  }
  await ensureBackend(opts.backend);
  const engine = inceptionEngine(currentBackendInfo().name, opts);
  if (engine === "wgsl") {
    throw new UnavailableError("wgsl_unavailable", "the WGSL engine could not start on this WebGPU adapter");
  }
  const network = engine === "tfjs"
    ? buildFidInception(weights)
    : buildFidInceptionWasm(weights, { blas: engine === "blas" ? loadOpenBlas(opts.openblasLibrary) : null });
  return fidInceptionSpace(new FidInceptionExtractor(network, { batchSize }), { batchSize });
}

/**
 * The engine for `backend`, given the configured one (`inceptionEngine`). "wgsl" runs the WGSL kernels on
 * whatever WebGPU adapter there is (a software one too: that is how CI tests them). On WebGPU: "wgsl", or "tfjs"
 * when asked for (the GPU never runs the CPU kernels). On wasm/cpu: the configured engine, else "blas" where
 * OpenBLAS loads, else "simd" (or "tfjs" when the runtime lacks relaxed SIMD).
 */
export function inceptionEngine(
  backend: BackendName,
  settings: Pick<ExtractionSettings, "inceptionEngine" | "openblasLibrary"> = {},
): InceptionEngine {
  const asked = settings.inceptionEngine;
  if (asked === "wgsl") return "wgsl";
  if (backend === "webgpu") return asked === "tfjs" ? "tfjs" : "wgsl";
  if (asked === "tfjs" || !wasmInceptionAvailable()) return "tfjs";
  if (asked === "simd") return "simd";
  if (loadOpenBlas(settings.openblasLibrary)) return "blas";
  if (asked === "blas") {
    throw new InvalidInputError(
      "openblas_unavailable",
      `FIDSTREAM_INCEPTION_ENGINE=blas, but OpenBLAS could not be loaded (${
        openBlasUnavailableReason(settings.openblasLibrary)
      }): install it (Debian: libopenblas0-pthread), point FIDSTREAM_OPENBLAS at the library, or unset ` +
        "FIDSTREAM_INCEPTION_ENGINE",
    );
  }
  return "simd";
}

/**
 * The engine loadFidInception will run, decided before any tfjs backend starts: the backend is the configured
 * one, else the auto policy (WebGPU on a hardware adapter, as initBackend decides).
 */
export async function resolveInceptionEngine(settings: ExtractionSettings = {}): Promise<InceptionEngine> {
  if (settings.inceptionEngine === "wgsl") return "wgsl";
  const backend = settings.backend ?? chooseAutoBackend(await probeGpuAdapter(), true);
  return inceptionEngine(backend, settings);
}
