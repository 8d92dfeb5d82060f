/**
 * bytea values to and from PostgreSQL's text form: the type OID 17 parser and serializer of both drivers.
 *
 * Why this exists: PGlite 0.5.16 converts bytea one byte at a time in JavaScript (parseInt of each 2-character
 * substring on read; Array.from(...).map(toString(16)).join on write). Measured on a 2-core machine, 16 MiB
 * values: insert 3.6-5.4 s, select 1.1-1.4 s, so PGlite ingest and finalize were several times slower than on
 * PostgreSQL. Whole-buffer hex (native Uint8Array.fromHex / toHex) makes that insert 0.4-0.8 s and select
 * 0.1-0.15 s, with identical bytes. postgres.js decodes bytea with node's Buffer.from(hex), ~5x slower than the
 * native decoder (48 vs 10 ms per 16 MiB here): reading a 50,000-sample finalize's 800 MB of features paid ~2 s
 * for it.
 */
import { Buffer } from "node:buffer";

/** Native ES2026 hex codecs; absent on older runtimes (then node:buffer does the work). */
type HexNatives = {
  fromHex?: (hex: string) => Uint8Array;
  prototype: { toHex?: (this: Uint8Array) => string };
};
const natives = Uint8Array as unknown as HexNatives;

/** Bytes of an even-length hex string (either case); throws on odd length or a non-hex character. */
function hexToBytes(hex: string): Uint8Array {
  if (typeof natives.fromHex === "function") return natives.fromHex(hex);
  // Buffer.from stops silently at the first bad pair, so check it decoded everything.
  const buf = Buffer.from(hex, "hex");
  if (hex.length % 2 !== 0 || buf.length * 2 !== hex.length) {
    throw new SyntaxError("bytea: invalid hex digits");
  }
  return new Uint8Array(buf); // a copy: plain Uint8Array with its own buffer, not a Buffer from node's pool
}

/** Lowercase hex of bytes. */
function bytesToHex(bytes: Uint8Array): string {
  if (typeof natives.prototype.toHex === "function") return natives.prototype.toHex.call(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * Decodes bytea text output: hex format (`\x0aff...`, PostgreSQL's default) or, should `bytea_output = 'escape'`
 * ever be set, escape format. Returns a plain Uint8Array that owns its buffer (byteOffset 0).
 */
export function byteaFromText(text: string): Uint8Array {
  if (text.startsWith("\\x")) return hexToBytes(text.slice(2));
  return byteaFromEscape(text);
}

/** Encodes bytes as bytea hex-format input (`\x` + lowercase hex); `\x` alone is the empty value. */
export function byteaToText(bytes: Uint8Array): string {
  // Same contract as PGlite's own serializer: only Uint8Array (a Buffer is one) is a bytea value.
  if (!(bytes instanceof Uint8Array)) throw new TypeError("bytea: expected a Uint8Array value");
  return "\\x" + bytesToHex(bytes);
}

/** Escape format: `\\` is a backslash, `\ooo` an octal byte, any other character its own code (< 256). */
function byteaFromEscape(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c !== 0x5c) {
      if (c > 0xff) throw new SyntaxError("bytea: escape-format text holds a character above 0xff");
      out[n++] = c;
      i += 1;
    } else if (text.charCodeAt(i + 1) === 0x5c) {
      out[n++] = 0x5c;
      i += 2;
    } else {
      const octal = text.slice(i + 1, i + 4);
      if (!/^[0-3][0-7]{2}$/.test(octal)) {
        throw new SyntaxError("bytea: invalid escape sequence in escape format");
      }
      out[n++] = parseInt(octal, 8);
      i += 4;
    }
  }
  return out.slice(0, n);
}
