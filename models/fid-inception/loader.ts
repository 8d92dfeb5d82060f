/**
 * The "fid-inception" feature space's loader (registered in models/runtime/registry.ts, so the service, the
 * worker pool and the CLI all load it by name).
 *
 * Weights, in order: the `weights` option, else FIDSTREAM_FID_WEIGHTS, else the converted weights that
 * `deno task models:fetch` leaves in <FIDSTREAM_DATA_DIR>/models/fid-inception. FIDSTREAM_FID_WEIGHTS may name
 * a folder of converted weights (manifest.json + weights.bin) or pytorch-fid's .pth itself: a .pth is converted
 * once into <data dir>/models/fid-inception-pth-<sha256 prefix>/ (keyed by content, so another .pth never
 * reuses it) unless the default folder already holds that very file's conversion.
 *
 * The engine: on a hardware WebGPU adapter this project's WGSL kernels ("wgsl", wgsl/network.ts), which open
 * their own device and never start tfjs; else the CPU engines (below). On tfjs' WebGPU backend a tensor over the
 * adapter's buffer limit computes wrong with no error: tfjs extraction is cut into slices small enough for the
 * limit (models/runtime/backend.ts explains why); the WGSL engine sizes its own forwards by the limits.
 */
import { InvalidInputError, NotFoundError, UnavailableError } from "../../src/errors.ts";
import type { FeatureExtractor, FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import {
  backendFromEnv,
  type BackendInfo,
  type BackendName,
  chooseAutoBackend,
  currentBackendInfo,
  ensureBackend,
  extractInChunks,
  imagesPerSlice,
  probeGpuAdapter,
} from "../runtime/backend.ts";
import { loadOpenBlas, OPENBLAS_ENV, openBlasUnavailableReason } from "../../src/native/openblas.ts";
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

/** Environment variable naming a .pth or a folder of converted weights to use instead of the data dir's. */
export const FID_WEIGHTS_ENV = "FIDSTREAM_FID_WEIGHTS";

/** Environment variable choosing the engine: "wgsl", "blas", "simd" or "tfjs" (default: see inceptionEngine). */
export const INCEPTION_ENGINE_ENV = "FIDSTREAM_INCEPTION_ENGINE";

/** Images per forward pass unless WebGPU's buffer limit asks for fewer (bounds memory, not the result). */
export const FID_INCEPTION_DEFAULT_BATCH = 16;

/** Options of loadFidInception; everything but `backend` defaults from the environment. */
export interface FidInceptionLoadOptions {
  backend?: BackendName;
  /** A .pth checkpoint or a folder of converted weights (default: FIDSTREAM_FID_WEIGHTS, then the data dir). */
  weights?: string;
  /** Default: FIDSTREAM_DATA_DIR, else ./.data. */
  dataDir?: string;
  /** Images per forward pass (default 16). */
  batchSize?: number;
}

/** The data dir: the option, else FIDSTREAM_DATA_DIR, else ./.data. */
function dataDirOf(dataDir?: string): string {
  return dataDir ?? Deno.env.get("FIDSTREAM_DATA_DIR") ?? "./.data";
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
      `or set ${FID_WEIGHTS_ENV} to that .pth (or to a folder of converted weights)`,
  );
}

/**
 * The folder of converted weights to load: `weights` (or FIDSTREAM_FID_WEIGHTS) when it is a folder, its
 * conversion when it is a .pth (converted now if no earlier conversion of the same bytes exists), else the
 * data dir's default. Throws NotFoundError when a named path does not exist.
 */
export async function resolveFidInceptionWeights(
  opts: { weights?: string; dataDir?: string } = {},
): Promise<string> {
  const named = opts.weights ?? (Deno.env.get(FID_WEIGHTS_ENV)?.trim() || undefined);
  if (named === undefined) return defaultWeightsDir(dataDirOf(opts.dataDir));
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
  return await convertOnce(named, dataDirOf(opts.dataDir));
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
  const wanted = await resolveInceptionEngine(opts.backend);
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
      // name (FIDSTREAM_INCEPTION_ENGINE=wgsl or a forced webgpu backend): the failure is the answer.
      if (engineFromEnv() === "wgsl" || (opts.backend ?? backendFromEnv()) === "webgpu") throw e;
      console.error(`the WGSL engine could not start (${e instanceof Error ? e.message : e}); using the CPU`);
      await ensureBackend("wasm");
    }
  }
  await ensureBackend(opts.backend);
  const engine = inceptionEngine(currentBackendInfo().name);
  if (engine === "wgsl") {
    throw new UnavailableError("wgsl_unavailable", "the WGSL engine could not start on this WebGPU adapter");
  }
  const network = engine === "tfjs"
    ? buildFidInception(weights)
    : buildFidInceptionWasm(weights, { blas: engine === "blas" ? loadOpenBlas() : null });
  return fidInceptionSpace(new FidInceptionExtractor(network, { batchSize }), { batchSize });
}

/**
 * What runs the network: "wgsl" (wgsl/: this project's WGSL kernels on WebGPU, the GPU path), "tfjs" (tfjs
 * ops on the backend), "simd" (wasm_network.ts: this project's WebAssembly SIMD kernels, faster than
 * tfjs-backend-wasm's convolutions) or "blas" (the same network with its matrix products in OpenBLAS through
 * FFI: faster again where the processor has wider SIMD than WebAssembly's 128 bits).
 */
export type InceptionEngine = "wgsl" | "blas" | "simd" | "tfjs";

const ENGINES: readonly InceptionEngine[] = ["wgsl", "blas", "simd", "tfjs"];

/** FIDSTREAM_INCEPTION_ENGINE, or undefined when unset; a typed error for an unknown name. */
export function engineFromEnv(): InceptionEngine | undefined {
  const raw = Deno.env.get(INCEPTION_ENGINE_ENV)?.trim().toLowerCase();
  if (!raw) return undefined;
  if (!(ENGINES as readonly string[]).includes(raw)) {
    throw new InvalidInputError(
      "inception_engine_unknown",
      `${INCEPTION_ENGINE_ENV}=${raw} is not an engine; expected ${ENGINES.join(", ")}`,
    );
  }
  return raw as InceptionEngine;
}

/**
 * The engine for `backend`. FIDSTREAM_INCEPTION_ENGINE=wgsl runs the WGSL kernels on whatever WebGPU adapter
 * there is (a software one too: that is how CI tests them). On WebGPU: "wgsl", or "tfjs" when asked for (the
 * GPU never runs the CPU kernels). On wasm/cpu: FIDSTREAM_INCEPTION_ENGINE when set, else "blas" where
 * OpenBLAS loads, else "simd" (or "tfjs" when the runtime lacks relaxed SIMD).
 */
export function inceptionEngine(backend: BackendName): InceptionEngine {
  const raw = engineFromEnv();
  if (raw === "wgsl") return "wgsl";
  if (backend === "webgpu") return raw === "tfjs" ? "tfjs" : "wgsl";
  if (raw === "tfjs" || !wasmInceptionAvailable()) return "tfjs";
  if (raw === "simd") return "simd";
  if (loadOpenBlas()) return "blas";
  if (raw === "blas") {
    throw new InvalidInputError(
      "openblas_unavailable",
      `${INCEPTION_ENGINE_ENV}=blas, but OpenBLAS could not be loaded (${openBlasUnavailableReason()}): ` +
        `install it (Debian: libopenblas0-pthread), point ${OPENBLAS_ENV} at the library, or unset ` +
        INCEPTION_ENGINE_ENV,
    );
  }
  return "simd";
}

/**
 * The engine loadFidInception will run, decided before any tfjs backend starts: the backend is `prefer`, else
 * FIDSTREAM_BACKEND, else the auto policy (WebGPU on a hardware adapter, as initBackend decides).
 */
export async function resolveInceptionEngine(prefer?: BackendName): Promise<InceptionEngine> {
  if (engineFromEnv() === "wgsl") return "wgsl";
  const backend = prefer ?? backendFromEnv() ?? chooseAutoBackend(await probeGpuAdapter(), true);
  return inceptionEngine(backend);
}
