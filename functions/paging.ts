/**
 * `?limit=` and `?cursor=` of list endpoints. A cursor is opaque to clients: the position of the last row of the
 * previous page, base64url-encoded; `next_cursor` in each page is the one to send for the next.
 */
import type { Context } from "hono";
import type { PageCursor } from "../db/store/paging.ts";
import { InvalidInputError } from "../src/errors.ts";

/** Rows per page unless ?limit= says otherwise, and the most it may say. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** The page a request asks for. */
export interface PageRequest {
  limit: number;
  after?: PageCursor;
}

function base64url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Reads ?limit (1..MAX_PAGE_LIMIT) and ?cursor; a malformed one is a 400 naming it. */
export function pageRequest(c: Context): PageRequest {
  const rawLimit = c.req.query("limit");
  let limit = DEFAULT_PAGE_LIMIT;
  if (rawLimit !== undefined) {
    limit = Number(rawLimit);
    if (!/^\d{1,4}$/.test(rawLimit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
      throw new InvalidInputError("bad_limit", `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
    }
  }
  const cursor = c.req.query("cursor");
  if (cursor === undefined) return { limit };
  try {
    if (cursor.length > 200) throw new Error("too long");
    const [createdUs, id] = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (typeof createdUs !== "string" || !/^-?\d{1,20}$/.test(createdUs) || typeof id !== "string") {
      throw new Error("bad fields");
    }
    return { limit, after: { createdUs, id } };
  } catch {
    throw new InvalidInputError(
      "bad_cursor",
      "cursor is not one this server gave out (take next_cursor as it is)",
    );
  }
}

/** The page's rows (at most limit of the limit + 1 fetched) and the cursor of the page after it, or null. */
export function pageOf<T extends { createdUs: string; id: string }>(
  rows: T[],
  limit: number,
): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: base64url(JSON.stringify([last.createdUs, last.id])) };
}
