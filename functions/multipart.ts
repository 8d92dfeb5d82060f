/**
 * multipart/form-data read from the request stream as the bytes arrive. Parts are counted and checked while
 * they come in, so a body of 3,000,000 empty parts is refused at part 4,097 after a few hundred kilobytes,
 * instead of after the whole body was buffered and parsed (114 s of a blocked event loop with FormData).
 * Each network chunk is scanned once, so no step holds the event loop for long whatever the body holds.
 *
 * Written here rather than taken from a library: FormData and Hono's parseBody parse only a complete body, and
 * the streaming parsers on npm are Node-stream based; this one is small and knows our limits.
 */
import { InvalidInputError, PayloadTooLargeError } from "../src/errors.ts";

/** One part: its form field name, filename when it is a file, content type, and bytes. */
export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  bytes: Uint8Array;
}

/** Limits of one multipart body. */
export interface MultipartLimits {
  /** Most parts; the next one is refused as it starts. */
  maxParts: number;
  /** Most bytes of the whole body. */
  maxBytes: number;
  /** Most bytes of one part's headers. */
  maxPartHeaderBytes?: number;
  /** The error for a body with more than maxParts parts (default: a 413 naming the count). */
  tooManyParts?: (maxParts: number) => Error;
  /** Called with each chunk's size before it is kept (a process-wide budget throws here). */
  onBytes?: (bytes: number) => void;
}

/** The boundary parameter of a multipart/form-data Content-Type, or a 400 when there is none. */
export function multipartBoundary(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) {
    throw new InvalidInputError(
      "multipart_malformed",
      "the multipart/form-data Content-Type names no boundary (1 to 70 characters)",
    );
  }
  return boundary;
}

/** Finds one byte pattern in a buffer (Horspool: skips ahead by the last byte of each window). */
class ByteSearch {
  readonly #skip = new Uint32Array(256);
  constructor(readonly pattern: Uint8Array) {
    const m = pattern.length;
    this.#skip.fill(m);
    for (let i = 0; i < m - 1; i++) this.#skip[pattern[i]] = m - 1 - i;
  }
  /** First index >= from where the pattern starts inside data[0, end), or -1. */
  indexOf(data: Uint8Array, from: number, end: number): number {
    const p = this.pattern;
    const m = p.length;
    const last = p[m - 1];
    let i = from;
    while (i + m <= end) {
      const c = data[i + m - 1];
      if (c === last) {
        let j = m - 2;
        while (j >= 0 && data[i + j] === p[j]) j--;
        if (j < 0) return i;
      }
      i += this.#skip[c];
    }
    return -1;
  }
}

const CRLFCRLF = new ByteSearch(new Uint8Array([13, 10, 13, 10]));

/** Value of a parameter (name="x", filename="y") in a Content-Disposition header, unquoted. */
function dispositionParam(header: string, param: string): string | undefined {
  const re = new RegExp(`;\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const m = re.exec(header);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
}

/** Parses one part's header block. */
function partHeaders(block: Uint8Array): { name: string; filename?: string; contentType?: string } {
  const text = new TextDecoder().decode(block);
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-disposition") disposition = value;
    else if (key === "content-type") contentType = value;
  }
  if (!disposition || !/^form-data\b/i.test(disposition)) {
    throw new InvalidInputError(
      "multipart_malformed",
      "a multipart part has no `Content-Disposition: form-data` header",
    );
  }
  return {
    name: dispositionParam(disposition, "name") ?? "",
    filename: dispositionParam(disposition, "filename"),
    contentType,
  };
}

/** Reads every part of a multipart/form-data body from `stream`, refusing at the first limit passed. */
export async function readMultipart(
  stream: ReadableStream<Uint8Array>,
  boundary: string,
  limits: MultipartLimits,
): Promise<MultipartPart[]> {
  const maxHeader = limits.maxPartHeaderBytes ?? 16 * 1024;
  const enc = new TextEncoder();
  const first = new ByteSearch(enc.encode(`--${boundary}`));
  const delimiter = new ByteSearch(enc.encode(`\r\n--${boundary}`));
  const parts: MultipartPart[] = [];
  const malformed = (why: string) => new InvalidInputError("multipart_malformed", `multipart body: ${why}`);

  // Unconsumed bytes live in buf[0, len); consumed ones are dropped as each part completes.
  let buf = new Uint8Array(64 * 1024);
  let len = 0;
  let total = 0;
  let state = "preamble" as "preamble" | "afterBoundary" | "headers" | "body" | "done";
  let scan = 0;
  let part: { name: string; filename?: string; contentType?: string } | null = null;

  // Bytes before `start` are consumed; they are dropped when the next chunk arrives.
  let start = 0;
  const consume = (n: number) => {
    start += n;
    scan = 0;
  };
  /** Advances the state machine over the buffered bytes; false when it needs more of them. */
  const step = (): boolean => {
    const view = buf.subarray(start, len);
    const avail = view.length;
    switch (state) {
      case "preamble": {
        const at = first.indexOf(view, scan, avail);
        if (at < 0) {
          // Keep the tail that may start the boundary; the preamble itself is discarded.
          const keep = Math.min(avail, first.pattern.length - 1);
          consume(avail - keep);
          return false;
        }
        consume(at + first.pattern.length);
        state = "afterBoundary";
        return true;
      }
      case "afterBoundary": {
        // "--" ends the body; otherwise optional whitespace, then CRLF, then the next part's headers.
        if (avail < 2) return false;
        if (view[0] === 0x2d && view[1] === 0x2d) {
          state = "done";
          return false;
        }
        let i = 0;
        while (i < avail && (view[i] === 0x20 || view[i] === 0x09)) i++;
        if (i + 2 > avail) {
          if (i > 256) throw malformed("a boundary line is followed by too much whitespace");
          return false;
        }
        if (view[i] !== 13 || view[i + 1] !== 10) throw malformed("a boundary is not followed by CRLF");
        consume(i + 2);
        if (parts.length + 1 > limits.maxParts) {
          throw limits.tooManyParts?.(limits.maxParts) ??
            new PayloadTooLargeError(
              "multipart_too_many_parts",
              `the multipart body has more than ${limits.maxParts} parts; split it over several requests`,
            );
        }
        state = "headers";
        return true;
      }
      case "headers": {
        // A part without headers starts with CRLF directly.
        if (avail >= 2 && view[0] === 13 && view[1] === 10) {
          throw malformed("a part has no Content-Disposition header");
        }
        const at = CRLFCRLF.indexOf(view, Math.max(0, scan - 3), avail);
        if (at < 0) {
          if (avail > maxHeader) throw malformed(`a part's headers are over ${maxHeader} bytes`);
          scan = avail;
          return false;
        }
        if (at > maxHeader) throw malformed(`a part's headers are over ${maxHeader} bytes`);
        part = partHeaders(view.subarray(0, at));
        consume(at + 4);
        state = "body";
        return true;
      }
      case "body": {
        const at = delimiter.indexOf(view, scan, avail);
        if (at < 0) {
          scan = Math.max(0, avail - delimiter.pattern.length + 1);
          return false;
        }
        parts.push({ ...part!, bytes: view.slice(0, at) });
        part = null;
        consume(at + delimiter.pattern.length);
        state = "afterBoundary";
        return true;
      }
      case "done":
        return false;
    }
  };

  const reader = stream.getReader();
  try {
    while (state !== "done") {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limits.maxBytes) {
        throw new PayloadTooLargeError(
          "body_too_large",
          `request body is over the limit of ${limits.maxBytes} bytes; split it into smaller batches`,
        );
      }
      limits.onBytes?.(value.byteLength);
      if (start > 0) {
        buf.copyWithin(0, start, len);
        len -= start;
        start = 0;
      }
      if (len + value.byteLength > buf.length) {
        let size = buf.length;
        while (size < len + value.byteLength) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(buf.subarray(0, len));
        buf = grown;
      }
      buf.set(value, len);
      len += value.byteLength;
      while (step()) { /* advance while the buffered bytes allow */ }
    }
  } finally {
    // Stop reading at the first violation (or after the closing boundary): the listener closes the connection.
    reader.cancel().catch(() => {});
  }
  if (state !== "done") throw malformed("it ends before its closing boundary");
  return parts;
}
