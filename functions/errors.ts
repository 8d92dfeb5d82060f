/** The one place where typed errors become HTTP responses: JSON {"error":{"code","message"}}. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  ConflictError,
  FidstreamError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  ServerBusyError,
  TooManyRequestsError,
  UnauthorizedError,
  UnavailableError,
  UnprocessableError,
  UnsupportedMediaTypeError,
} from "../src/errors.ts";
import { describeError } from "../src/describe_error.ts";

const statusOf: Array<[new (...a: never[]) => FidstreamError, ContentfulStatusCode]> = [
  [InvalidInputError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [TooManyRequestsError, 429],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [UnprocessableError, 422],
  [UnavailableError, 503],
];

/** The JSON error body. */
export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** Hono onError handler: typed errors map to their status; anything else is a logged 500 (or 503 if the DB is down). */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof FidstreamError) {
    const status = statusOf.find(([cls]) => err instanceof cls)?.[1] ?? 400;
    const headers: Record<string, string> = {};
    if (err instanceof TooManyRequestsError || err instanceof ServerBusyError) {
      headers["Retry-After"] = String(err.retryAfterSeconds);
    }
    if (err instanceof UnauthorizedError) headers["WWW-Authenticate"] = 'Bearer realm="fidstream"';
    return c.json(errorBody(err.code, err.message), status, headers);
  }
  if (isConnectionError(err)) {
    return c.json(errorBody("database_unavailable", "the database is unavailable; retry shortly"), 503, {
      "Retry-After": "1",
    });
  }
  console.error(`unhandled error on ${c.req.method} ${c.req.path}: ${describeError(err)}`);
  return c.json(errorBody("internal", "internal error; nothing was stored for this request"), 500);
}

/** Codes of a lost or refused database connection: socket errors, postgres.js's own, SQLSTATE 08xxx and 57P0x. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

function isConnectionError(err: Error): boolean {
  // Drizzle wraps the driver's error (DrizzleQueryError.cause), which may wrap the socket's: look a few levels down.
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === "object"; depth++) {
    const code = String((e as { code?: unknown }).code ?? "");
    if (CONNECTION_CODES.has(code) || /^08...$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Hono notFound handler. */
export function handleNotFound(c: Context): Response {
  return c.json(
    errorBody("route_not_found", `no route for ${c.req.method} ${c.req.path}; see /v1/openapi.json`),
    404,
  );
}
