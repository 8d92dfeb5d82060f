/**
 * The fast local form of the FID InceptionV3 weights: converted once from the .pth (pickle parsing, batch-norm
 * folding) into `weights.bin` (every folded tensor as little-endian float32, back to back) and
 * `manifest.json` (names, shapes, byte offsets, the sha256 of the source .pth and of the bin). Loading is
 * then one read plus typed-array views, no pickle. The manifest is written last and removed first, so an
 * interrupted conversion never leaves a loadable pair that disagrees.
 */

import { InvalidInputError, NotFoundError } from "../../src/errors.ts";
import { readTorchStateDict } from "../../src/tensors/torch/checkpoint.ts";
import { FID_INCEPTION_LAYOUT, type FoldLayout } from "./state_dict_keys.ts";
import { BN_EPS, foldedShapes, type FoldedWeightMap, foldStateDict } from "./weights.ts";
import { DEFAULT_DATA_DIR } from "../runtime/extraction_settings.ts";

/** The canonical file name of pytorch-fid's weights (its hash suffix is the start of the file's sha256). */
export const FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth";
/** manifest.json's `format`. */
export const FOLDED_FORMAT = "fidstream-folded-weights";
/** manifest.json's `version`. */
export const FOLDED_VERSION = 1;
/** The manifest's file name inside the weights directory. */
export const MANIFEST_FILE = "manifest.json";
/** The float32 blob's file name inside the weights directory. */
export const BIN_FILE = "weights.bin";

/** Where one tensor lies in weights.bin. */
export interface ManifestTensor {
  name: string;
  shape: number[];
  /** Byte offset in weights.bin (a multiple of 4). */
  offset: number;
  /** Number of float32 elements. */
  length: number;
}

/** manifest.json. */
export interface FoldedManifest {
  format: typeof FOLDED_FORMAT;
  version: typeof FOLDED_VERSION;
  model: string;
  source: { file: string; sha256: string };
  bnEps: number;
  dtype: "float32";
  byteOrder: "little";
  convLayout: "HWIO";
  binBytes: number;
  binSha256: string;
  tensors: ManifestTensor[];
}

/** Lowercase hex sha256 of some bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The default weights directory: <data dir>/models/fid-inception. */
export function defaultWeightsDir(dataDir: string = DEFAULT_DATA_DIR): string {
  return `${dataDir}/models/fid-inception`;
}

/** Parse a .pth, fold it and lay it out as {manifest, bin} (the layout parameter exists for tests). */
export async function convertCheckpoint(
  pthBytes: Uint8Array,
  opts: { layout?: FoldLayout; sourceFile?: string } = {},
): Promise<{ manifest: FoldedManifest; bin: Uint8Array }> {
  const folded = foldStateDict(readTorchStateDict(pthBytes), opts.layout ?? FID_INCEPTION_LAYOUT);
  return await packFolded(folded, {
    model: "pytorch-fid FID InceptionV3, batch norm folded into conv weights",
    source: { file: opts.sourceFile ?? FID_WEIGHTS_FILE, sha256: await sha256Hex(pthBytes) },
  });
}

/** Folded tensors (network.ts keys, HWIO convs) laid out as {manifest, bin}: little-endian float32, in order. */
export async function packFolded(
  folded: Iterable<[string, { shape: number[]; data: ArrayLike<number> }]>,
  about: Pick<FoldedManifest, "model" | "source">,
): Promise<{ manifest: FoldedManifest; bin: Uint8Array }> {
  const entries = [...folded];
  const bin = new Uint8Array(4 * entries.reduce((sum, [, t]) => sum + t.data.length, 0));
  const view = new DataView(bin.buffer);
  const tensors: ManifestTensor[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(offset + 4 * i, t.data[i], true);
    tensors.push({ name, shape: t.shape, offset, length: t.data.length });
    offset += 4 * t.data.length;
  }
  const manifest: FoldedManifest = {
    format: FOLDED_FORMAT,
    version: FOLDED_VERSION,
    ...about,
    bnEps: BN_EPS,
    dtype: "float32",
    byteOrder: "little",
    convLayout: "HWIO",
    binBytes: bin.length,
    binSha256: await sha256Hex(bin),
    tensors,
  };
  return { manifest, bin };
}

async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

/** Write a converted pair into `dir` (created if needed): manifest removed first, bin, then manifest. */
export async function writeFolded(
  dir: string,
  converted: { manifest: FoldedManifest; bin: Uint8Array },
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.remove(`${dir}/${MANIFEST_FILE}`).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await writeAtomically(`${dir}/${BIN_FILE}`, converted.bin);
  await writeAtomically(
    `${dir}/${MANIFEST_FILE}`,
    new TextEncoder().encode(JSON.stringify(converted.manifest, null, 1)),
  );
}

function corrupt(dir: string, message: string): never {
  throw new InvalidInputError(
    "fid_inception_weights_corrupt",
    `the converted weights in ${dir} are unusable (${message}); run \`deno task models:fetch\` to convert them again`,
  );
}

function checkManifest(dir: string, m: unknown, binBytes: number, layout: FoldLayout): FoldedManifest {
  const man = m as FoldedManifest;
  if (typeof m !== "object" || m === null || man.format !== FOLDED_FORMAT || man.version !== FOLDED_VERSION) {
    corrupt(dir, `manifest is not a ${FOLDED_FORMAT} version ${FOLDED_VERSION} manifest`);
  }
  if (man.dtype !== "float32" || man.byteOrder !== "little") {
    corrupt(dir, "manifest dtype/byte order unsupported");
  }
  if (man.binBytes !== binBytes) {
    corrupt(dir, `${BIN_FILE} has ${binBytes} bytes, the manifest says ${man.binBytes}`);
  }
  if (!Array.isArray(man.tensors)) corrupt(dir, "manifest has no tensor list");
  const expected = foldedShapes(layout);
  const seen = new Set<string>();
  for (const t of man.tensors) {
    if (typeof t?.name !== "string" || seen.has(t.name)) {
      corrupt(dir, "manifest tensor names are missing or repeated");
    }
    seen.add(t.name);
    const want = expected.get(t.name);
    if (!want) corrupt(dir, `manifest has an unexpected tensor '${t.name}'`);
    if (!Array.isArray(t.shape) || t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      corrupt(dir, `tensor '${t.name}' has shape [${t.shape}], expected [${want}]`);
    }
    const n = want.reduce((a, b) => a * b, 1);
    if (
      t.length !== n || !Number.isSafeInteger(t.offset) || t.offset < 0 || t.offset % 4 !== 0 ||
      t.offset + 4 * n > binBytes
    ) {
      corrupt(dir, `tensor '${t.name}' lies outside ${BIN_FILE} or has the wrong length`);
    }
  }
  const missing = [...expected.keys()].filter((k) => !seen.has(k));
  if (missing.length) corrupt(dir, `manifest lacks ${missing.length} tensors, e.g. '${missing[0]}'`);
  return man;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Load converted weights from `dir` as float32 views over one buffer. `verify` re-hashes weights.bin against
 * the manifest (about a second for the real file); sizes, offsets and the key set are always checked.
 */
export async function loadFolded(
  dir: string = defaultWeightsDir(),
  opts: { layout?: FoldLayout; verify?: boolean } = {},
): Promise<FoldedWeightMap> {
  let manifestText: string;
  let bin: Uint8Array;
  try {
    manifestText = await Deno.readTextFile(`${dir}/${MANIFEST_FILE}`);
    bin = await Deno.readFile(`${dir}/${BIN_FILE}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new NotFoundError(
        "fid_inception_weights_missing",
        `no converted FID InceptionV3 weights in ${dir}; run \`deno task models:fetch\` once to download ` +
          `${FID_WEIGHTS_FILE} and convert it`,
      );
    }
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestText);
  } catch {
    corrupt(dir, `${MANIFEST_FILE} is not valid JSON`);
  }
  const manifest = checkManifest(dir, parsed, bin.length, opts.layout ?? FID_INCEPTION_LAYOUT);
  if (opts.verify && (await sha256Hex(bin)) !== manifest.binSha256) {
    corrupt(dir, `${BIN_FILE} does not match the sha256 in the manifest`);
  }
  // Views need a 4-byte aligned buffer of host byte order; otherwise copy once.
  const aligned = LITTLE_ENDIAN_HOST && bin.byteOffset % 4 === 0;
  const out: FoldedWeightMap = new Map();
  for (const t of manifest.tensors) {
    let data: Float32Array;
    if (aligned) {
      data = new Float32Array(bin.buffer, bin.byteOffset + t.offset, t.length);
    } else {
      const v = new DataView(bin.buffer, bin.byteOffset + t.offset, 4 * t.length);
      data = new Float32Array(t.length);
      for (let i = 0; i < t.length; i++) data[i] = v.getFloat32(4 * i, true);
    }
    out.set(t.name, { shape: t.shape, data });
  }
  return out;
}
