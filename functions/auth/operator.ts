/**
 * The local operator: `deno task cli keys` on the server's own machine while the server holds the embedded
 * database (PGlite is one process's, so the CLI cannot open it then). The server writes its loopback URL and a
 * random token beside the database, readable by its owner only (whoever can read that folder can read the
 * database itself); the CLI presents the token with the project it manages and gets that project's /v1/admin
 * routes, nothing else. PostgreSQL needs none of this: the CLI opens the shared database itself.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { constantTimeEqual, parseProject, type Principal } from "./api_key.ts";
import { writePrivateFile } from "./private_file.ts";

/** The file in the PGlite data dir that tells the CLI where the server is. */
export const OPERATOR_FILE = "fidstream-server.json";

/** The header naming the project an operator request manages. */
export const PROJECT_HEADER = "x-fidstream-project";

/** What the server leaves for the CLI. */
export interface OperatorFile {
  url: string;
  pid: number;
  token: string;
}

/** A random operator token (never shaped like an API key). */
export function newOperatorToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return "fso_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The URL a local client reaches a server on, from the address it listens on (any address -> loopback). */
export function loopbackUrl(addr: Deno.NetAddr): string {
  const host = addr.hostname === "0.0.0.0" ? "127.0.0.1" : addr.hostname === "::" ? "::1" : addr.hostname;
  return `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`;
}

/** Writes the operator file into dir (mode 0600); returns its removal. */
export async function writeOperatorFile(dir: string, file: OperatorFile): Promise<() => Promise<void>> {
  const path = `${dir}/${OPERATOR_FILE}`;
  await writePrivateFile(path, JSON.stringify(file));
  return async () => await Deno.remove(path).catch(() => {});
}

/** The operator file in dir, or undefined when there is none (no server, or it did not start there). */
export async function readOperatorFile(dir: string): Promise<OperatorFile | undefined> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(`${dir}/${OPERATOR_FILE}`));
    if (typeof parsed?.url === "string" && typeof parsed?.token === "string") return parsed as OperatorFile;
  } catch { /* absent or unreadable */ }
  return undefined;
}

/** Admin of the named project when the request presents this server's operator token on /v1/admin/, else null. */
export function operatorPrincipal(c: Context<AppEnv>, token: string | undefined): Principal | null {
  if (!token || !c.req.path.startsWith("/v1/admin/")) return null;
  const presented = c.req.header("authorization")?.match(/^Bearer\s+(fso_\S+)$/i)?.[1];
  if (!presented || !constantTimeEqual(presented, token)) return null;
  return { projectId: parseProject(c.req.header(PROJECT_HEADER) ?? "default"), scope: "admin", keyId: null };
}
