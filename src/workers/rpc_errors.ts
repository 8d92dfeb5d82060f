/**
 * Errors across a worker boundary. Structured clone keeps an Error's message but not its class or fields, so a
 * worker sends its errors in this form and the caller rebuilds them: fidstream's typed errors as their own
 * class (so they still become the right HTTP status), others as an Error carrying the original fields (a
 * database error's SQLSTATE `code`, `detail`, ...).
 */
import * as errors from "../errors.ts";
import { FidstreamError } from "../errors.ts";

/** An error as it crosses a worker boundary. */
export interface RpcError {
  name: string;
  message: string;
  /** FidstreamError's code, or a driver's (SQLSTATE). */
  code?: string;
  /** Other string and number fields of the original. */
  fields?: Record<string, string | number>;
}

/** The error in its crossing form. */
export function encodeError(e: unknown): RpcError {
  if (!(e instanceof Error)) return { name: "Error", message: String(e) };
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(e)) {
    if ((typeof v === "string" || typeof v === "number") && k !== "code") fields[k] = v;
  }
  const code = (e as { code?: unknown }).code;
  return {
    name: e.name,
    message: e.message,
    code: typeof code === "string" ? code : typeof code === "number" ? String(code) : undefined,
    fields,
  };
}

/** The error rebuilt: a FidstreamError subclass when it was one, else an Error with the original's fields. */
export function decodeError(e: RpcError): Error {
  const cls = (errors as Record<string, unknown>)[e.name];
  if (
    typeof cls === "function" && e.code !== undefined &&
    (cls === FidstreamError || cls.prototype instanceof FidstreamError)
  ) {
    return new (cls as new (code: string, message: string) => FidstreamError)(e.code, e.message);
  }
  const err = new Error(e.message);
  Object.assign(err, e.fields, e.code !== undefined ? { code: e.code } : {});
  err.name = e.name;
  return err;
}
