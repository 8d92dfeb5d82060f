/**
 * `deno task models:fetch [--url URL] [--data-dir DIR] [--force]`: download pytorch-fid's FID InceptionV3
 * weights (pt_inception-2015-12-05-6726825d.pth, from pytorch-fid's GitHub release), check the sha256 starts
 * with the file name's hash suffix 6726825d, store the .pth under <data dir>/models/ and convert it to
 * <data dir>/models/fid-inception/{weights.bin,manifest.json}. The only code in fidstream that uses the network.
 */

import {
  FidstreamError,
  PayloadTooLargeError,
  UnavailableError,
  UnprocessableError,
} from "../../src/errors.ts";
import type { FoldLayout } from "./state_dict_keys.ts";
import {
  convertCheckpoint,
  defaultWeightsDir,
  FID_WEIGHTS_FILE,
  sha256Hex,
  writeFolded,
} from "./weights_format.ts";
import { DEFAULT_DATA_DIR } from "../runtime/extraction_settings.ts";

/** pytorch-fid's release asset (pytorch_fid/inception.py, FID_WEIGHTS_URL). */
export const FID_WEIGHTS_URL =
  "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth";
/** The hash suffix of the file name: the first hex digits of the file's sha256 (torch.hub convention). */
export const FID_WEIGHTS_SHA256_PREFIX = "6726825d";
/** The real file is about 91 MiB; anything far larger is not it. */
export const FID_WEIGHTS_MAX_BYTES = 256 * 1024 * 1024;

/** Options of fetchFidInceptionWeights; the last three exist for tests. */
export interface FetchWeightsOptions {
  url?: string;
  /** Default: FIDSTREAM_DATA_DIR or ./.data. */
  dataDir?: string;
  /** Download again even if a verified .pth is already there. */
  force?: boolean;
  log?: (line: string) => void;
  expectedSha256Prefix?: string;
  layout?: FoldLayout;
  maxBytes?: number;
}

/** Where things ended up. */
export interface FetchWeightsResult {
  pthPath: string;
  weightsDir: string;
  sha256: string;
  downloaded: boolean;
}

async function readCapped(res: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  const tooLarge = (n: number) =>
    new PayloadTooLargeError(
      "fid_weights_too_large",
      `${url} sends ${n}+ bytes; the FID InceptionV3 weights are about 91 MiB (limit ${maxBytes})`,
    );
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge(declared);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body ?? new ReadableStream<Uint8Array>()) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(total);
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) out.set(c, at), at += c.length;
  return out;
}

async function download(url: string, maxBytes: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new UnavailableError(
      "fid_weights_download_failed",
      `could not download ${url} (${
        e instanceof Error ? e.message : String(e)
      }); check the network or pass --url`,
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new UnavailableError("fid_weights_download_failed", `GET ${url} answered HTTP ${res.status}`);
  }
  return await readCapped(res, url, maxBytes);
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** Download (unless a verified copy exists), verify, store and convert the FID InceptionV3 weights. */
export async function fetchFidInceptionWeights(opts: FetchWeightsOptions = {}): Promise<FetchWeightsResult> {
  const url = opts.url ?? FID_WEIGHTS_URL;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const prefix = (opts.expectedSha256Prefix ?? FID_WEIGHTS_SHA256_PREFIX).toLowerCase();
  const log = opts.log ?? (() => {});
  const modelsDir = `${dataDir}/models`;
  const pthPath = `${modelsDir}/${FID_WEIGHTS_FILE}`;
  const weightsDir = defaultWeightsDir(dataDir);
  await Deno.mkdir(modelsDir, { recursive: true });

  let bytes = opts.force ? undefined : await readIfExists(pthPath);
  let sha256 = bytes ? await sha256Hex(bytes) : "";
  let downloaded = false;
  if (bytes && sha256.startsWith(prefix)) {
    log(`${pthPath} is already here (sha256 ${sha256})`);
  } else {
    if (bytes) log(`${pthPath} has sha256 ${sha256}, not ${prefix}...: downloading it again`);
    log(`downloading ${url}`);
    const partial = `${pthPath}.partial`;
    bytes = await download(url, opts.maxBytes ?? FID_WEIGHTS_MAX_BYTES);
    await Deno.writeFile(partial, bytes);
    sha256 = await sha256Hex(bytes);
    if (!sha256.startsWith(prefix)) {
      await Deno.remove(partial);
      throw new UnprocessableError(
        "fid_weights_checksum_mismatch",
        `the file from ${url} has sha256 ${sha256}, which does not start with ${prefix} as ${FID_WEIGHTS_FILE} ` +
          "must; it was deleted. Check the URL (or mirror) and try again",
      );
    }
    await Deno.rename(partial, pthPath);
    downloaded = true;
    log(`saved ${pthPath} (${bytes.length} bytes, sha256 ${sha256})`);
  }
  const converted = await convertCheckpoint(bytes, { layout: opts.layout, sourceFile: FID_WEIGHTS_FILE });
  await writeFolded(weightsDir, converted);
  log(
    `converted to ${weightsDir} (${converted.manifest.tensors.length} tensors, ${converted.bin.length} bytes)`,
  );
  return { pthPath, weightsDir, sha256, downloaded };
}

function parseArgs(args: string[]): FetchWeightsOptions & { help?: boolean } {
  const out: FetchWeightsOptions & { help?: boolean } = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--url") out.url = value();
    else if (flag === "--data-dir") out.dataDir = value();
    else if (flag === "--force") out.force = true;
    else if (flag === "--help" || flag === "-h") out.help = true;
    else throw new Error(`unknown argument ${args[i]} (expected --url, --data-dir, --force)`);
  }
  return out;
}

if (import.meta.main) {
  try {
    const opts = parseArgs(Deno.args);
    if (opts.help) {
      console.log("usage: deno task models:fetch [--url URL] [--data-dir DIR] [--force]");
    } else {
      const r = await fetchFidInceptionWeights({ ...opts, log: (l) => console.log(l) });
      console.log(`FID InceptionV3 weights ready in ${r.weightsDir}`);
    }
  } catch (e) {
    console.error(
      `models:fetch failed: ${e instanceof FidstreamError || e instanceof Error ? e.message : e}`,
    );
    Deno.exit(1);
  }
}
