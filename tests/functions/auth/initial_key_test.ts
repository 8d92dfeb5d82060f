/**
 * The first start needs no second step: with no key in the database the server creates an admin key of project
 * "default", prints it once and saves it (mode 0600) to the data dir; later starts create none. Servers starting
 * together on one PostgreSQL create one key between them.
 */
import assert from "node:assert/strict";
import { listApiKeys } from "../../../db/store/api_keys.ts";
import { createApiKey, createFirstAdminKey } from "../../../functions/auth/api_key.ts";
import { initialKeyPath } from "../../../functions/auth/initial_key.ts";
import { testEachDatabase, testOnPostgres } from "../../_support/databases.ts";
import { type ServerProcess, startServerProcess } from "../../../tools/server_process.ts";

const KEY = /fsk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/g;

/** The server's start-up output, once its auth lines are there. */
async function startOutput(server: ServerProcess): Promise<string> {
  for (let i = 0; i < 100 && !/^auth: /m.test(server.stdout()); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return server.stdout();
}

function as(server: ServerProcess, key: string, path: string, init: RequestInit = {}) {
  return fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}` } });
}

testEachDatabase("the first admin key is created once, only while the database has no key", async (db) => {
  const results = await Promise.all([1, 2, 3, 4].map(() => createFirstAdminKey(db.db)));
  const created = results.filter((r) => r !== undefined);
  assert.equal(created.length, 1, "concurrent first starts create one key");
  assert.deepEqual([created[0]!.project, created[0]!.scope], ["default", "admin"]);
  assert.equal(await createFirstAdminKey(db.db), undefined);
  assert.equal((await listApiKeys(db.db, "default")).length, 1);
});

testEachDatabase("no first key is made where keys already exist, in any project", async (db) => {
  await createApiKey(db.db, "vision", "read");
  assert.equal(await createFirstAdminKey(db.db), undefined);
  assert.deepEqual(await listApiKeys(db.db, "default"), []);
});

Deno.test({
  name:
    "[pglite] the first start prints an admin key once, saves it 0600, and it works at once; a restart keeps it",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fidstream-first-key-" });
    const env = { FIDSTREAM_AUTH: "on", FIDSTREAM_DATA_DIR: dir };
    let server = await startServerProcess(env);
    try {
      let out = await startOutput(server);
      const printed = out.match(KEY) ?? [];
      assert.equal(printed.length, 1, out);
      const path = initialKeyPath(dir);
      assert.equal(await Deno.readTextFile(path), `${printed[0]}\n`);
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      assert.match(out, new RegExp(`saved to ${path} \\(mode 0600\\)`));

      const unauthorized = await fetch(`${server.url}/v1/runs`);
      assert.equal(unauthorized.status, 401);
      assert.match(
        (await unauthorized.json()).error.message,
        /initial-admin-key/,
        "the 401 says where the key is",
      );
      assert.equal((await as(server, printed[0], "/v1/runs")).status, 200);
      const made = await as(server, printed[0], "/v1/admin/keys", {
        method: "POST",
        body: '{"scope":"write"}',
      });
      assert.equal(made.status, 201, "it is an admin key");
      assert.equal((await made.json()).project, "default");

      await server.stop();
      server = await startServerProcess(env);
      out = await startOutput(server);
      assert.deepEqual(out.match(KEY), null, "a restart prints no key");
      assert.match(out, new RegExp(`first admin key \\(project "default"\\) is in ${path}`));
      assert.equal(await Deno.readTextFile(path), `${printed[0]}\n`, "the saved key is left as it was");
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

testOnPostgres(
  "[postgres] two servers starting together on an empty database print one first key between them",
  async (url) => {
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    const servers = await Promise.all(
      dirs.map((dir) =>
        startServerProcess({ FIDSTREAM_AUTH: "on", DATABASE_URL: url, FIDSTREAM_DATA_DIR: dir })
      ),
    );
    try {
      const outputs = await Promise.all(servers.map(startOutput));
      const keys = outputs.flatMap((out) => out.match(KEY) ?? []);
      assert.equal(keys.length, 1, outputs.join("\n---\n"));
      const saved = await Promise.all(
        dirs.map((d) => Deno.readTextFile(initialKeyPath(d)).catch(() => null)),
      );
      assert.deepEqual(saved.filter((s) => s !== null), [`${keys[0]}\n`], "saved by the server that made it");
      for (const s of servers) assert.equal((await as(s, keys[0], "/v1/runs")).status, 200);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
);
