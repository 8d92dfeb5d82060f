/**
 * `keys create --project NAME --scope read|write|admin`, `keys list --project NAME`, `keys revoke --project NAME ID`:
 * API key management for any project, whether or not the server runs. With PostgreSQL (DATABASE_URL) the CLI
 * opens the database itself. With the embedded database it does so while no server holds it; while one does, it
 * asks that server, with the operator token the server left beside the database (functions/auth/operator.ts).
 * The answers are the same either way.
 */
import { openDatabase } from "../db/open.ts";
import { listApiKeys, revokeApiKey } from "../db/store/api_keys.ts";
import { createApiKey, parseProject, parseScope, type Scope } from "../functions/auth/api_key.ts";
import { type OperatorFile, PROJECT_HEADER, readOperatorFile } from "../functions/auth/operator.ts";
import type { ProcessConfig } from "../functions/config.ts";
import { FidstreamError, NotFoundError } from "../src/errors.ts";
import { parseArgs, UsageError } from "./args.ts";

/** Usage line of the command. */
export const KEYS_USAGE =
  'keys create|list|revoke --project NAME [--scope read|write|admin] [KEY_ID]   -> {"key",...} / {"keys"} / {"revoked"}\n' +
  "      works while the server runs (PGlite: through the server; PostgreSQL: on the database)";

/** One of the three key operations, done on the database or through the running server. */
interface KeyStore {
  create(project: string, scope: Scope): Promise<object>;
  list(project: string): Promise<{ id: string; scope: string; revoked: boolean }[]>;
  /** False when the project has no such key. */
  revoke(project: string, id: string): Promise<boolean>;
  close(): Promise<void>;
}

async function databaseStore(config: ProcessConfig): Promise<KeyStore> {
  const database = await openDatabase(config.database);
  return {
    create: (project, scope) => createApiKey(database.db, project, scope),
    list: async (project) =>
      (await listApiKeys(database.db, project)).map((k) => ({
        id: k.id,
        scope: k.scope,
        revoked: k.revokedAt !== null,
      })),
    revoke: (project, id) => revokeApiKey(database.db, project, id),
    close: () => database.close(),
  };
}

/** The server's JSON error as the same typed error the database path would raise (message and code). */
async function serverError(res: Response): Promise<Error> {
  const text = await res.text();
  try {
    const e = JSON.parse(text).error;
    if (typeof e?.code === "string" && typeof e?.message === "string") {
      return new FidstreamError(e.code, e.message);
    }
  } catch { /* not JSON */ }
  return new Error(`the server answered HTTP ${res.status}: ${text.slice(0, 300)}`);
}

function serverStore(server: OperatorFile): KeyStore {
  const call = async (project: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/v1/admin/keys${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.token}`,
        [PROJECT_HEADER]: project,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 404 && method === "DELETE") return undefined;
    if (!res.ok) throw await serverError(res);
    return await res.json();
  };
  return {
    create: (project, scope) => call(project, "POST", "", { scope }),
    list: async (project) =>
      ((await call(project, "GET", "")).keys as { id: string; scope: string; revoked_at: string | null }[])
        .map((k) => ({ id: k.id, scope: k.scope, revoked: k.revoked_at !== null })),
    revoke: async (project, id) =>
      (await call(project, "DELETE", `/${encodeURIComponent(id)}`)) !== undefined,
    close: () => Promise.resolve(),
  };
}

/** The running server that holds the embedded database, when it answers; else undefined. */
async function runningServer(dataDir: string): Promise<OperatorFile | undefined> {
  const server = await readOperatorFile(dataDir);
  if (!server) return undefined;
  try {
    await (await fetch(`${server.url}/v1/openapi.json`, { signal: AbortSignal.timeout(5000) })).body
      ?.cancel();
    return server;
  } catch {
    return undefined; // a server killed without cleaning up: the database is ours to open (or locked: said so)
  }
}

/** Run `keys` and return its result object. */
export async function keysCommand(argv: string[], config: ProcessConfig): Promise<object> {
  const args = parseArgs(argv, { project: "string", scope: "string" });
  const [action, ...rest] = args.positionals;
  const project = parseProject(args.flags.get("project") ?? "default");
  if (!["create", "list", "revoke"].includes(action)) {
    throw new UsageError(`unknown keys action ${JSON.stringify(action)}: create, list or revoke`);
  }
  if (action === "revoke" && rest.length !== 1) throw new UsageError("keys revoke needs the key id");
  const scope = parseScope(args.flags.get("scope") ?? "write");
  const server = config.database.dataDir ? await runningServer(config.database.dataDir) : undefined;
  const store = server ? serverStore(server) : await databaseStore(config);
  try {
    if (action === "create") return await store.create(project, scope);
    if (action === "list") return { project, keys: await store.list(project) };
    if (!(await store.revoke(project, rest[0]))) {
      throw new NotFoundError("key_not_found", `key ${rest[0]} does not exist in project ${project}`);
    }
    return { project, id: rest[0], revoked: true };
  } finally {
    await store.close();
  }
}
