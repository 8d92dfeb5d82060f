/**
 * Typed errors of the core. Each carries a machine-readable `code` and a message a user can act on.
 * The core knows nothing of HTTP: functions/errors.ts maps each class to a status code, once.
 */

/** Base class of every error fidstream raises on purpose. */
export class FidstreamError extends Error {
  /** Machine-readable code, e.g. "npy_bad_magic". */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The input cannot be parsed (malformed file, bad JSON, missing field). HTTP 400. */
export class InvalidInputError extends FidstreamError {}

/** The input parses but cannot be used (wrong dtype, wrong dimension, NaN/Inf, empty batch). HTTP 422. */
export class UnprocessableError extends FidstreamError {}

/** No valid credentials were presented. HTTP 401. */
export class UnauthorizedError extends FidstreamError {}

/** The credentials are valid but their scope does not allow this. HTTP 403. */
export class ForbiddenError extends FidstreamError {}

/** Too many requests for this key; retry after `retryAfterSeconds`. HTTP 429. */
export class TooManyRequestsError extends FidstreamError {
  constructor(code: string, message: string, readonly retryAfterSeconds: number) {
    super(code, message);
  }
}

/** A named thing (run, reference) does not exist. HTTP 404. */
export class NotFoundError extends FidstreamError {}

/** The request conflicts with stored state (finalized run, idempotency key reused with another body). HTTP 409. */
export class ConflictError extends FidstreamError {}

/** The body or a declared size is over a configured limit. HTTP 413. */
export class PayloadTooLargeError extends FidstreamError {}

/** The body's content type is not one this endpoint accepts. HTTP 415. */
export class UnsupportedMediaTypeError extends FidstreamError {}

/** A dependency (the database) is unavailable right now; the client should retry. HTTP 503. */
export class UnavailableError extends FidstreamError {}

/** The server is at one of its capacity limits (memory for bodies in flight, decoding); retry later. HTTP 503. */
export class ServerBusyError extends UnavailableError {
  constructor(code: string, message: string, readonly retryAfterSeconds: number) {
    super(code, message);
  }
}
