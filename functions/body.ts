/**
 * Reading request bodies: size limits, the process's memory budget for bodies in flight, per-key upload slots,
 * content types, JSON depth, multipart parts, the idempotency key and the digest.
 *
 * Bodies are read from the stream as the bytes arrive and counted against the budget chunk by chunk; nothing is
 * allocated from what Content-Length claims (1,000 connections each claiming 256 MiB must cost what they send).
 */
import type { Context, MiddlewareHandler } from "hono";
import {
  InvalidInputError,
  PayloadTooLargeError,
  UnprocessableError,
  UnsupportedMediaTypeError,
} from "../src/errors.ts";
import { jsonNestingDepth } from "../src/json/nesting_depth.ts";
import { type BodyBudget, BodyLease, type UploadSlots } from "./body_limits.ts";
import { multipartBoundary, type MultipartLimits, type MultipartPart, readMultipart } from "./multipart.ts";

/** What guardBodies() leaves for the readers below: the request's share of the budget and its size limit. */
export interface RequestBody {
  lease: BodyLease;
  maxBytes: number;
}

/** A Hono Env whose requests went through guardBodies(). */
export type BodyEnv = { Variables: { body: RequestBody } };

/** Options of guardBodies(). */
export interface GuardBodiesOptions {
  /** Largest body; larger ones are refused (413) from their Content-Length or as their bytes pass it. */
  maxBodyBytes: number;
  /** The process-wide budget the bodies of all requests in flight share. */
  budget: BodyBudget;
  /** Uploads in flight per key, and the key of a request (its API key); none: no per-key limit. */
  slots?: { slots: UploadSlots; keyOf: (c: Context) => string };
}

/** Methods whose requests may carry a body. */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Middleware for every request that may carry a body: refuses a declared Content-Length over the limit, takes
 * an upload slot of the request's key (429 when it has too many in flight), and gives the readers below a
 * lease on the body budget, released when the request ends.
 */
export function guardBodies(opts: GuardBodiesOptions): MiddlewareHandler {
  return async (c, next) => {
    if (!BODY_METHODS.has(c.req.method)) return await next();
    const declared = Number(c.req.header("content-length"));
    if (declared > opts.maxBodyBytes) throw bodyTooLarge(opts.maxBodyBytes);
    const releaseSlot = opts.slots?.slots.acquire(opts.slots.keyOf(c));
    const lease = new BodyLease(opts.budget);
    c.set("body" as never, { lease, maxBytes: opts.maxBodyBytes } as never);
    try {
      await next();
    } finally {
      lease.release();
      releaseSlot?.();
    }
  };
}

function bodyTooLarge(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    "body_too_large",
    `request body is over the limit of ${limit} bytes; split it into smaller batches`,
  );
}

function requestBody(c: Context): RequestBody {
  const body = (c as unknown as Context<BodyEnv>).get("body");
  if (!body) throw new Error("a body reader ran without the guardBodies() middleware");
  return body;
}

/** The request's media type, lowercased, without parameters (a missing type counts as octet-stream). */
export function requestContentType(c: Context): string {
  return (c.req.header("content-type") ?? "application/octet-stream").split(";")[0].trim().toLowerCase();
}

/** A failed read of the body stream (client gone, body stalled): typed, so it is no logged 500. */
function incompleteBody(): InvalidInputError {
  return new InvalidInputError("body_incomplete", "the request body ended before all of it arrived");
}

/** The body's bytes, read as they arrive, at most `limit` (default: the guard's) and within the budget. */
export async function readBodyBytes(c: Context, limit?: number): Promise<Uint8Array> {
  const { lease, maxBytes } = requestBody(c);
  const max = Math.min(limit ?? maxBytes, maxBytes);
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch {
        throw incompleteBody();
      }
      if (step.done) break;
      size += step.value.byteLength;
      if (size > max) throw limit !== undefined && limit < maxBytes ? jsonTooLarge(max) : bodyTooLarge(max);
      lease.reserve(step.value.byteLength);
      chunks.push(step.value);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  // One chunk that owns its whole buffer is the body as it is; otherwise one copy joins them (callers may
  // rely on the array starting at offset 0 of its buffer).
  const one = chunks[0];
  if (chunks.length === 1 && one.byteOffset === 0 && one.buffer.byteLength === size) return one;
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of chunks) (all.set(p, at), at += p.byteLength);
  return all;
}

/** The raw body, after checking its Content-Type is one of `accepted`. */
export async function readBinaryBody(c: Context, accepted: string[]): Promise<Uint8Array> {
  const type = requestContentType(c);
  if (!accepted.includes(type)) {
    throw new UnsupportedMediaTypeError(
      "unsupported_content_type",
      `Content-Type ${type} is not accepted here; send one of ${accepted.join(", ")}`,
    );
  }
  const body = await readBodyBytes(c);
  if (body.byteLength === 0) throw new InvalidInputError("empty_body", "the request body is empty");
  return body;
}

/** The parts of a multipart/form-data body, read and checked as they arrive (see multipart.ts). */
export async function readMultipartBody(
  c: Context,
  limits: Omit<MultipartLimits, "maxBytes" | "onBytes">,
): Promise<MultipartPart[]> {
  const { lease, maxBytes } = requestBody(c);
  const boundary = multipartBoundary(c.req.header("content-type") ?? "");
  const stream = c.req.raw.body;
  if (!stream) throw new InvalidInputError("empty_body", "the request body is empty");
  try {
    return await readMultipart(stream, boundary, {
      ...limits,
      maxBytes,
      onBytes: (n) => lease.reserve(n),
    });
  } catch (e) {
    if (e instanceof Error && !("code" in e)) throw incompleteBody();
    throw e;
  }
}

/** The client's Idempotency-Key, or a fresh random one when the client sent none (no retry safety then). */
export function idempotencyKey(c: Context): string {
  const key = c.req.header("idempotency-key");
  if (key === undefined) return `auto:${crypto.randomUUID()}`;
  if (key.length === 0 || key.length > 255) {
    throw new InvalidInputError("bad_idempotency_key", "Idempotency-Key must be 1 to 255 characters");
  }
  return key;
}

/** Largest JSON request body (a run, a key): these are small, and parsing is memory-hungry. */
export const MAX_JSON_BODY_BYTES = 1 << 20;

/**
 * Deepest nesting of arrays and objects a JSON body may have. Configs are flat settings; depth is what breaks
 * databases (PGlite hung on 10,000 levels) and recursive code, and is checked before JSON.parse runs.
 */
export const MAX_JSON_DEPTH = 32;

function jsonTooLarge(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    "body_too_large",
    `a JSON body is limited to ${limit} bytes; this one is larger`,
  );
}

/** Parses a JSON body (at most MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH deep) into an object, or a 4xx naming why. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  if (Number(c.req.header("content-length")) > MAX_JSON_BODY_BYTES) throw jsonTooLarge(MAX_JSON_BODY_BYTES);
  const text = new TextDecoder().decode(await readBodyBytes(c, MAX_JSON_BODY_BYTES));
  if (jsonNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new UnprocessableError(
      "json_too_deep",
      `the JSON body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; flatten it`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidInputError("invalid_json", "the request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidInputError("invalid_json", "the request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}
