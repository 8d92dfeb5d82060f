/**
 * `keys create --project NAME --scope read|write|admin`, `keys list --project NAME`, `keys revoke --project NAME ID`:
 * API key management straight on the configured database (DATABASE_URL, or the PGlite data dir while the server is
 * stopped). The same as the admin API, for bootstrapping the first admin key.
 */
import { openDatabase } from "../db/open.ts";
import { listApiKeys, revokeApiKey } from "../db/store/api_keys.ts";
import { createApiKey, parseProject, parseScope } from "../functions/auth/api_key.ts";
import { configFromEnv } from "../functions/config.ts";
import { NotFoundError } from "../src/errors.ts";
import { parseArgs, UsageError } from "./args.ts";

/** Usage line of the command. */
export const KEYS_USAGE =
  'keys create|list|revoke --project NAME [--scope read|write|admin] [KEY_ID]   -> {"key",...} / {"keys"} / {"revoked"}';

/** Run `keys` and return its result object. */
export async function keysCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv, { project: "string", scope: "string" });
  const [action, ...rest] = args.positionals;
  const project = parseProject(args.flags.get("project") ?? "default");
  const database = await openDatabase(
    configFromEnv((n) => n === "FIDSTREAM_AUTH" ? "on" : Deno.env.get(n)).database,
  );
  try {
    switch (action) {
      case "create":
        return await createApiKey(database.db, project, parseScope(args.flags.get("scope") ?? "write"));
      case "list": {
        const keys = await listApiKeys(database.db, project);
        return {
          project,
          keys: keys.map((k) => ({ id: k.id, scope: k.scope, revoked: k.revokedAt !== null })),
        };
      }
      case "revoke": {
        if (rest.length !== 1) throw new UsageError("keys revoke needs the key id");
        if (!(await revokeApiKey(database.db, project, rest[0]))) {
          throw new NotFoundError("key_not_found", `key ${rest[0]} does not exist in project ${project}`);
        }
        return { project, id: rest[0], revoked: true };
      }
      default:
        throw new UsageError(`unknown keys action ${JSON.stringify(action)}: create, list or revoke`);
    }
  } finally {
    await database.close();
  }
}
