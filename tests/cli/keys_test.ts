/**
 * `cli keys`: create, list, revoke on the embedded database; while a server process holds it, through that server;
 * with PostgreSQL, on the shared database while servers run. Another process holding PGlite (no server) is refused.
 */
import assert from "node:assert/strict";
import { openDatabase } from "../../db/open.ts";
import { verifyApiKey } from "../../functions/auth/api_key.ts";
import { testOnPostgres } from "../_support/databases.ts";
import { type ServerProcess, startServerProcess } from "../../tools/server_process.ts";
import { runCli } from "./_cli.ts";
import { looseTest } from "../_support/loose_test.ts";

looseTest(
  "cli keys creates a working key, lists and revokes it, and waits for the server to release PGlite",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fidstream_keys_" });
    const env = { FIDSTREAM_DATA_DIR: dir };
    try {
      const created = await runCli(["keys", "create", "--project", "vision", "--scope", "admin"], env);
      assert.equal(created.code, 0, created.stderr);
      const key = created.json!.key as string;
      assert.match(key, /^fsk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      const listed = await runCli(["keys", "list", "--project", "vision"], env);
      assert.deepEqual(listed.json, {
        project: "vision",
        keys: [{ id: key.split("_")[1], scope: "admin", revoked: false }],
      });

      // FIDSTREAM_DATA_DIR holds the embedded database in its db/ folder.
      const database = await openDatabase({ dataDir: `${dir}/db` });
      try {
        assert.deepEqual(await verifyApiKey(database.db, key), {
          projectId: "vision",
          scope: "admin",
          keyId: key.split("_")[1],
        });
        const busy = await runCli(["keys", "list", "--project", "vision"], env);
        assert.equal(busy.code, 1);
        assert.match(busy.stderr, /in use by process/);
      } finally {
        await database.close();
      }
      const revoked = await runCli(["keys", "revoke", "--project", "vision", key.split("_")[1]], env);
      assert.equal(revoked.json?.revoked, true);
      const bad = await runCli(["keys", "create", "--project", "vision", "--scope", "root"], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /scope must be one of read, write, admin/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** Creates, lists and revokes a key of project "vision" with the CLI while `server` runs, checking each on it. */
async function manageWhileRunning(server: ServerProcess, env: Record<string, string>) {
  const created = await runCli(["keys", "create", "--project", "vision", "--scope", "write"], env);
  assert.equal(created.code, 0, created.stderr);
  const key = created.json!.key as string;
  assert.deepEqual([created.json!.project, created.json!.scope], ["vision", "write"]);
  const runs = () => fetch(`${server.url}/v1/runs`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal((await runs()).status, 200, "the new key works on the running server at once");
  const listed = await runCli(["keys", "list", "--project", "vision"], env);
  assert.deepEqual(listed.json, {
    project: "vision",
    keys: [{ id: key.split("_")[1], scope: "write", revoked: false }],
  });
  const revoked = await runCli(["keys", "revoke", "--project", "vision", key.split("_")[1]], env);
  assert.deepEqual(revoked.json, { project: "vision", id: key.split("_")[1], revoked: true });
  assert.equal((await runs()).status, 401, "revoked on the running server at once");
  const missing = await runCli(["keys", "revoke", "--project", "other", key.split("_")[1]], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /does not exist in project other \(key_not_found\)/);
  const bad = await runCli(["keys", "create", "--project", "vision", "--scope", "root"], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /scope must be one of read, write, admin/);
}

looseTest(
  "[pglite] cli keys works while the server holds the embedded database (through the server)",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fidstream_keys_running_" });
    const server = await startServerProcess({ FIDSTREAM_AUTH: "on", FIDSTREAM_DATA_DIR: dir });
    try {
      await manageWhileRunning(server, { FIDSTREAM_DATA_DIR: dir });
    } finally {
      await server.stop();
    }
    try {
      // Stopped, the CLI opens the database itself and sees what it did through the server.
      const listed = await runCli(["keys", "list", "--project", "vision"], { FIDSTREAM_DATA_DIR: dir });
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal((listed.json!.keys as { revoked: boolean }[])[0].revoked, true);
      // A server killed without cleaning up leaves its operator file: the CLI sees nobody answers and goes direct.
      const killed = await startServerProcess({ FIDSTREAM_AUTH: "on", FIDSTREAM_DATA_DIR: dir });
      await killed.stop("SIGKILL");
      await Deno.stat(`${dir}/db/fidstream-server.json`);
      const after = await runCli(["keys", "list", "--project", "vision"], { FIDSTREAM_DATA_DIR: dir });
      assert.equal(after.code, 0, after.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testOnPostgres("[postgres] cli keys works while servers run (on the shared database)", async (url) => {
  const dir = await Deno.makeTempDir({ prefix: "fidstream_keys_pg_" });
  const server = await startServerProcess({
    FIDSTREAM_AUTH: "on",
    DATABASE_URL: url,
    FIDSTREAM_DATA_DIR: dir,
  });
  try {
    await manageWhileRunning(server, { DATABASE_URL: url, FIDSTREAM_DATA_DIR: dir });
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
