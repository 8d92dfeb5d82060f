/** Reading request bodies: size limit, content type, idempotency key, digest. */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../src/errors.ts";
import type { AppEnv } from "./env.ts";
import { handleError } from "./errors.ts";

/** Middleware refusing bodies over the configured limit with a 413 before they are buffered. */
export function limitBody(): MiddlewareHandler<AppEnv> {
  return (c, next) =>
    bodyLimit({
      maxSize: c.get("deps").config.maxBodyBytes,
      onError: (c) =>
        handleError(
          new PayloadTooLargeError(
            "body_too_large",
            `request body is over the limit of ${
              c.get("deps").config.maxBodyBytes
            } bytes; split it into smaller batches`,
          ),
          c,
        ),
    })(c, next);
}

/** The raw body, after checking its Content-Type is one of `accepted` (a missing type counts as octet-stream). */
export async function readBinaryBody(c: Context<AppEnv>, accepted: string[]): Promise<Uint8Array> {
  const type = (c.req.header("content-type") ?? "application/octet-stream").split(";")[0].trim()
    .toLowerCase();
  if (!accepted.includes(type)) {
    throw new UnsupportedMediaTypeError(
      "unsupported_content_type",
      `Content-Type ${type} is not accepted here; send one of ${accepted.join(", ")}`,
    );
  }
  const body = new Uint8Array(await c.req.arrayBuffer());
  if (body.byteLength === 0) throw new InvalidInputError("empty_body", "the request body is empty");
  return body;
}

/** The client's Idempotency-Key, or a fresh random one when the client sent none (no retry safety then). */
export function idempotencyKey(c: Context<AppEnv>): string {
  const key = c.req.header("idempotency-key");
  if (key === undefined) return `auto:${crypto.randomUUID()}`;
  if (key.length === 0 || key.length > 255) {
    throw new InvalidInputError("bad_idempotency_key", "Idempotency-Key must be 1 to 255 characters");
  }
  return key;
}

/** Lowercase hex SHA-256 of bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Largest JSON request body (a run, a key): these are small, and parsing is memory-hungry. */
export const MAX_JSON_BODY_BYTES = 1 << 20;

/** The body as text, refusing (413) one over `limit` bytes before buffering it all. */
async function readTextCapped(c: Context<AppEnv>, limit: number): Promise<string> {
  const tooLarge = () =>
    new PayloadTooLargeError(
      "body_too_large",
      `a JSON body is limited to ${limit} bytes; this one is larger`,
    );
  if (Number(c.req.header("content-length")) > limit) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return "";
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of body) {
    size += part.byteLength;
    if (size > limit) throw tooLarge();
    parts.push(part);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) (all.set(p, at), at += p.byteLength);
  return new TextDecoder().decode(all);
}

/** Parses a JSON body (at most MAX_JSON_BODY_BYTES) into an object, or throws a 400 naming the problem. */
export async function readJsonObject(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const text = await readTextCapped(c, MAX_JSON_BODY_BYTES);
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
