/**
 * API key format and checking. A key is `fsk_<id>_<secret>`: the id finds the row, and the secret (32 random
 * bytes, base64url) is compared by SHA-256. A fast hash is right here because secrets are random, not passwords.
 */
import {
  type ApiKeyRow,
  ensureProject,
  findActiveKey,
  insertApiKey,
  insertFirstApiKey,
} from "../../db/store/api_keys.ts";
import type { Db } from "../../db/database.ts";
import { InvalidInputError } from "../../src/errors.ts";
import { sha256Hex } from "../../src/sha256_hex.ts";

/** Scopes, each implying the ones before it. */
export const SCOPES = ["read", "write", "admin"] as const;

/** One of read, write, admin. */
export type Scope = typeof SCOPES[number];

/** Who a request acts for. */
export interface Principal {
  projectId: string;
  scope: Scope;
  keyId: string | null;
}

/** True when `has` includes `needs` (admin > write > read). */
export function scopeAllows(has: Scope, needs: Scope): boolean {
  return SCOPES.indexOf(has) >= SCOPES.indexOf(needs);
}

/** Validates a scope name from user input. */
export function parseScope(value: unknown): Scope {
  if (!SCOPES.includes(value as Scope)) {
    throw new InvalidInputError(
      "bad_scope",
      `scope must be one of ${SCOPES.join(", ")}; got ${JSON.stringify(value)}`,
    );
  }
  return value as Scope;
}

/** Validates a project name: letters, digits, '-', '_', '.', 1 to 64 characters. */
export function parseProject(value: unknown): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(value)) {
    throw new InvalidInputError("bad_project", "project must be 1-64 letters, digits, '.', '_' or '-'");
  }
  return value;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function secretSha256(secret: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(secret));
}

/** A key just created: `key` is the only copy of its secret. */
export interface CreatedApiKey {
  key: string;
  id: string;
  project: string;
  scope: Scope;
  created_at: string;
}

/** A fresh random key: its row (secret hashed) and the secret itself. */
async function newKey(projectId: string, scope: Scope) {
  const id = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { row: { id, projectId, scope, secretSha256: await secretSha256(secret) }, secret };
}

function created(row: ApiKeyRow, secret: string): CreatedApiKey {
  return {
    key: `fsk_${row.id}_${secret}`,
    id: row.id,
    project: row.projectId,
    scope: row.scope as Scope,
    created_at: row.createdAt.toISOString(),
  };
}

/** Creates a key (and its project if new); the returned `key` is the only copy of the secret. */
export async function createApiKey(db: Db, projectId: string, scope: Scope): Promise<CreatedApiKey> {
  const { row, secret } = await newKey(projectId, scope);
  await ensureProject(db, projectId);
  return created(await insertApiKey(db, row), secret);
}

/**
 * The first start's key: an admin key of project "default", created only when the database holds no key at all
 * (one between several processes starting together). Undefined when keys exist already.
 */
export async function createFirstAdminKey(db: Db): Promise<CreatedApiKey | undefined> {
  const { row, secret } = await newKey("default", "admin");
  const stored = await insertFirstApiKey(db, row);
  return stored && created(stored, secret);
}

/** Whether two secrets are equal, in a time that does not depend on where they first differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The principal of a presented key, or null when it is malformed, unknown, revoked or wrong. */
export async function verifyApiKey(db: Db, presented: string): Promise<Principal | null> {
  const m = /^fsk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(presented);
  if (!m) return null;
  const row = await findActiveKey(db, m[1]);
  if (!row) return null;
  if (!constantTimeEqual(await secretSha256(m[2]), row.secretSha256)) return null;
  return { projectId: row.projectId, scope: row.scope as Scope, keyId: row.id };
}
