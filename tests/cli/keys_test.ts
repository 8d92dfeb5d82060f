/** `cli keys` on the embedded database: create, list, revoke; refused while a server holds the data dir. */
import assert from "node:assert/strict";
import { openDatabase } from "../../db/open.ts";
import { verifyApiKey } from "../../functions/auth/api_key.ts";
import { runCli } from "./_cli.ts";

Deno.test({
  name: "cli keys creates a working key, lists and revokes it, and waits for the server to release PGlite",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
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
});
