/** Authentication, scope and rate limit for /v1 routes. Rejected requests touch nothing. */
import type { MiddlewareHandler } from "hono";
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from "../../src/errors.ts";
import type { AppEnv } from "../env.ts";
import { type Principal, type Scope, scopeAllows, verifyApiKey } from "./api_key.ts";
import { operatorPrincipal } from "./operator.ts";

/** The principal of every request while auth is off (local work only). */
export const LOCAL_PRINCIPAL: Principal = { projectId: "default", scope: "admin", keyId: null };

/** Paths anyone may read: the API description. */
const PUBLIC = new Set(["/v1/openapi.json"]);

/** The scope a request needs: reads need read, admin routes admin, every other write needs write. */
export function requiredScope(method: string, path: string): Scope {
  if (path.startsWith("/v1/admin/")) return "admin";
  return method === "GET" || method === "HEAD" ? "read" : "write";
}

/**
 * Reads the key from `Authorization: Bearer`, `X-API-Key`, or (GET only, never on admin routes: EventSource cannot
 * set headers) the `access_token` query parameter; checks it, its scope and the key's rate; sets the principal.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.get("deps");
    if (PUBLIC.has(c.req.path)) return await next();
    let principal = LOCAL_PRINCIPAL;
    const operator = operatorPrincipal(c, deps.config.operatorToken);
    if (operator) principal = operator;
    else if (deps.config.auth === "on") {
      const header = c.req.header("authorization");
      const fromQuery = c.req.method === "GET" ? c.req.query("access_token") : undefined;
      // A query string ends up in logs, histories and Referer headers: acceptable for a read-only event stream
      // or image, never for the routes that manage keys.
      if (fromQuery !== undefined && c.req.path.startsWith("/v1/admin/")) {
        throw new UnauthorizedError(
          "access_token_not_allowed",
          "admin routes do not take ?access_token: send the key as `Authorization: Bearer <key>`",
        );
      }
      const presented = (header?.match(/^Bearer\s+(.+)$/i)?.[1]) ?? c.req.header("x-api-key") ?? fromQuery;
      if (!presented) {
        throw new UnauthorizedError(
          "missing_api_key",
          "this server needs an API key: send `Authorization: Bearer <key>`. The server printed its first admin key " +
            "(project default) when it first started and saved it in $FIDSTREAM_DATA_DIR/initial-admin-key on its " +
            "machine (./.data/initial-admin-key by default); more with `deno task cli keys create --project NAME`",
        );
      }
      const found = await verifyApiKey(deps.db, presented.trim());
      if (!found) {
        throw new UnauthorizedError("invalid_api_key", "the API key is unknown, revoked or malformed");
      }
      principal = found;
    }
    const wait = deps.rateLimiter.take(principal.keyId ?? "local");
    if (wait > 0) {
      throw new TooManyRequestsError(
        "rate_limited",
        `over ${deps.config.requestsPerMinute} requests per minute for this key; retry in ${wait} s`,
        wait,
      );
    }
    const needs = requiredScope(c.req.method, c.req.path);
    if (!scopeAllows(principal.scope, needs)) {
      throw new ForbiddenError(
        "insufficient_scope",
        `this needs a ${needs} key; the key presented is ${principal.scope}`,
      );
    }
    c.set("principal", principal);
    await next();
  };
}
