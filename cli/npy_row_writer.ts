/**
 * Writes an N x D float32 .npy row block by row block, so a large feature matrix never sits in memory whole.
 * The file is written as PATH.partial and renamed to PATH by close(): an interrupted run leaves no .npy that
 * looks complete. The header is numpy's (format 1.0, padded so the data starts on a 64-byte boundary).
 */

import { UnprocessableError } from "../src/errors.ts";
import type { FeatureRows } from "../src/features/extractor.ts";
import { formatNpyHeader } from "../src/tensors/npy_header.ts";

const ARRAY_ALIGN = 64;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes before the data of a C-order float32 .npy of `shape` (format 1.0, or 2.0 for huge headers). */
export function npyFloat32Header(shape: number[]): Uint8Array {
  const text = formatNpyHeader({ dtype: "float32", fortranOrder: false, shape });
  const padded = (lengthBytes: number) => {
    const unpadded = 6 + 2 + lengthBytes + text.length + 1;
    return text.length + 1 + (ARRAY_ALIGN - (unpadded % ARRAY_ALIGN)); // as numpy: >= 1 space
  };
  const major = padded(2) <= 0xffff ? 1 : 2;
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = padded(lengthBytes);
  const out = new Uint8Array(8 + lengthBytes + headerLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  out.fill(0x20, 8 + lengthBytes, out.length - 1);
  for (let i = 0; i < text.length; i++) out[8 + lengthBytes + i] = text.charCodeAt(i);
  out[out.length - 1] = 0x0a;
  return out;
}

/** Streams `rows` float32 rows of one dimension into an .npy; the dimension is fixed by the first block. */
export class NpyRowWriter {
  readonly #path: string;
  readonly #rows: number;
  #file: Deno.FsFile | undefined;
  #dim = -1;
  #written = 0;

  /** A writer of exactly `rows` rows to `path`. */
  constructor(path: string, rows: number) {
    this.#path = path;
    this.#rows = rows;
  }

  /** Appends a block of rows (the first block opens the file and writes the header). */
  async write(block: FeatureRows): Promise<void> {
    if (this.#file === undefined) {
      this.#dim = block.dim;
      this.#file = await Deno.open(`${this.#path}.partial`, { write: true, create: true, truncate: true });
      await writeAll(this.#file, npyFloat32Header([this.#rows, block.dim]));
    }
    if (block.dim !== this.#dim) {
      throw new UnprocessableError(
        "dimension_mismatch",
        `feature rows changed dimension from ${this.#dim} to ${block.dim}`,
      );
    }
    if (this.#written + block.n > this.#rows) {
      throw new UnprocessableError(
        "too_many_rows",
        `more than the ${this.#rows} announced rows were written`,
      );
    }
    const values = block.data.subarray(0, block.n * block.dim);
    let bytes: Uint8Array;
    if (LITTLE_ENDIAN_HOST) bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    else {
      bytes = new Uint8Array(values.byteLength);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
    }
    await writeAll(this.#file, bytes);
    this.#written += block.n;
  }

  /** Finishes the file (every announced row must have been written) and moves it into place. */
  async close(): Promise<void> {
    if (this.#file === undefined || this.#written !== this.#rows) {
      this.abort();
      throw new UnprocessableError(
        "too_few_rows",
        `${this.#written} of the ${this.#rows} announced rows were written to ${this.#path}`,
      );
    }
    this.#file.close();
    this.#file = undefined;
    await Deno.rename(`${this.#path}.partial`, this.#path);
  }

  /** Closes and deletes the partial file (after an error). */
  abort(): void {
    try {
      this.#file?.close();
    } catch { /* already closed */ }
    this.#file = undefined;
    try {
      Deno.removeSync(`${this.#path}.partial`);
    } catch { /* never created */ }
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}
