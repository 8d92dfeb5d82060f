/**
 * JPEG decoding with libjpeg-turbo (the WebAssembly build shipped by the npm package @cwasm/jpeg-turbo), the
 * decoder PIL uses: pytorch-fid reads images through PIL, so these pixels are PIL's bit for bit (jpeg-js,
 * used before, differed by up to 4 levels in most samples) and decoding is ~5x faster.
 *
 * Why not the package's own decode(): libjpeg reports fatal errors through longjmp, which that build turns into
 * a thrown JavaScript error, skipping every free() on the way out; with one module-wide instance, each corrupt
 * upload would leak its buffers (tens of MB for a large image) until the instance is exhausted. Here a throw
 * discards the instance, and the next decode starts a fresh one from the same compiled module.
 */
import { createRequire } from "node:module";
import "@cwasm/jpeg-turbo"; // installs the package, whose .wasm is instantiated below
import { InvalidInputError } from "../errors.ts";

const TJPF_RGB = 0;
const TJPF_GRAY = 6;

interface TurboExports {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(ptr: number): void;
  tjInitDecompress(): number;
  tjDestroy(handle: number): number;
  tjDecompressHeader3(
    handle: number,
    src: number,
    size: number,
    width: number,
    height: number,
    subsamp: number,
    colorspace: number,
  ): number;
  tjDecompress2(
    handle: number,
    src: number,
    size: number,
    dst: number,
    width: number,
    pitch: number,
    height: number,
    pixelFormat: number,
    flags: number,
  ): number;
}

/** What the module asks of its host: longjmp (a libjpeg error) becomes a throw; nothing else is reachable. */
const IMPORTS = {
  env: {
    setjmp: () => 0,
    longjmp: () => {
      throw new LibjpegError();
    },
  },
  wasi_snapshot_preview1: Object.fromEntries(
    ["proc_exit", "environ_sizes_get", "environ_get", "fd_close", "fd_seek", "fd_write"].map((name) => [
      name,
      name === "environ_sizes_get" ? () => 0 : () => {
        throw new LibjpegError();
      },
    ]),
  ),
};

class LibjpegError extends Error {}

let compiled: WebAssembly.Module | undefined;
let instance: TurboExports | undefined;

function turbo(): TurboExports {
  if (!instance) {
    if (!compiled) {
      const path = createRequire(import.meta.url).resolve("@cwasm/jpeg-turbo/jpeg-turbo.wasm");
      compiled = new WebAssembly.Module(Deno.readFileSync(path));
    }
    instance = new WebAssembly.Instance(compiled, IMPORTS).exports as unknown as TurboExports;
  }
  return instance;
}

function corrupt(detail: string): never {
  throw new InvalidInputError("image_corrupt", `the JPEG is corrupt: ${detail}`);
}

/**
 * Pixels of a 1- or 3-component JPEG whose header was already checked (size, supported frame type): gray
 * stays one channel, colour comes out RGB, as PIL's decoder gives them. Any libjpeg warning or error (bad
 * data, truncation) is an image_corrupt error, as PIL refuses truncated files by default.
 */
export function decodeJpegTurbo(
  bytes: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
): Uint8Array {
  const t = turbo();
  let src = 0, dst = 0, handle = 0;
  try {
    src = t.malloc(bytes.length);
    dst = t.malloc(width * height * channels);
    handle = t.tjInitDecompress();
    if (!src || !dst || !handle) corrupt("out of decoder memory");
    new Uint8Array(t.memory.buffer, src, bytes.length).set(bytes);
    const format = channels === 1 ? TJPF_GRAY : TJPF_RGB;
    const status = t.tjDecompress2(
      handle,
      src,
      bytes.length,
      dst,
      width,
      width * channels,
      height,
      format,
      0,
    );
    if (status !== 0) corrupt("libjpeg-turbo could not decode its image data (damaged or truncated)");
    return new Uint8Array(t.memory.buffer, dst, width * height * channels).slice();
  } catch (e) {
    if (e instanceof LibjpegError) {
      instance = undefined; // its memory may hold what the error skipped freeing
      corrupt("libjpeg-turbo stopped on an error in it (damaged or truncated)");
    }
    throw e;
  } finally {
    if (instance === t) {
      if (handle) t.tjDestroy(handle);
      if (dst) t.free(dst);
      if (src) t.free(src);
    }
  }
}
