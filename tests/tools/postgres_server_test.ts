import assert from "node:assert/strict";
import postgres from "postgres";
import { canConnect, findPostgresBinDir, startPostgres, stopAllUnder } from "../../tools/postgres_server.ts";

const binDir = findPostgresBinDir();
const missing = binDir === null;
const suffix = missing ? " [SKIPPED: PostgreSQL server binaries not found]" : "";

Deno.test({
  name:
    "startPostgres serves SQL on a loopback port, PostgreSQL >= 15, and stop() closes the port and removes its dir" +
    suffix,
  ignore: missing,
  async fn() {
    const server = await startPostgres();
    assert.ok(server, "binaries were found, so startPostgres must return a server");
    try {
      const url = new URL(server.url);
      assert.equal(url.protocol, "postgres:");
      assert.equal(url.hostname, "127.0.0.1");
      assert.equal(Number(url.port), server.port);

      const sql = postgres(server.url, { max: 1, onnotice: () => {} });
      try {
        const [one] = await sql`SELECT 1 AS one`;
        assert.equal(one.one, 1);
        const [v] = await sql`SELECT current_setting('server_version_num')::int AS num, version() AS text`;
        assert.ok(v.num >= 150000, `server_version_num ${v.num} should be >= 150000 (${v.text})`);
        assert.match(v.text, /^PostgreSQL \d+/);
        const [mc] = await sql`SELECT current_setting('max_connections')::int AS n`;
        assert.equal(mc.n, 200);
        const [fs] = await sql`SELECT current_setting('fsync') AS v`;
        assert.equal(fs.v, "off");
      } finally {
        await sql.end({ timeout: 5 });
      }
      assert.equal(await canConnect(server.port), true);
    } finally {
      await server.stop();
    }
    assert.equal(
      await canConnect(server.port),
      false,
      `port ${server.port} still accepts connections after stop()`,
    );
    await assert.rejects(Deno.stat(server.dir), Deno.errors.NotFound, "stop() must remove the temp dir");
    await server.stop(); // a second stop is a no-op, not an error
  },
});

Deno.test({
  name: "two throwaway servers run side by side on different ports" + suffix,
  ignore: missing,
  async fn() {
    const [a, b] = await Promise.all([startPostgres(), startPostgres()]);
    try {
      assert.ok(a && b);
      assert.notEqual(a.port, b.port);
      assert.notEqual(a.dir, b.dir);
      for (const server of [a, b]) {
        const sql = postgres(server.url, { max: 1, onnotice: () => {} });
        try {
          const [row] = await sql`SELECT inet_server_port() AS port`;
          assert.equal(row.port, server.port);
        } finally {
          await sql.end({ timeout: 5 });
        }
      }
    } finally {
      await Promise.all([a?.stop(), b?.stop()]);
    }
  },
});

Deno.test({
  name: "stopAllUnder stops a server that was never stopped and removes its dir" + suffix,
  ignore: missing,
  async fn() {
    const parent = await Deno.makeTempDir({ prefix: "fidstream-sweep-test-" });
    await Deno.chmod(parent, 0o755); // the postgres user must reach its dir inside when we are root
    try {
      const server = await startPostgres({ parentDir: parent });
      assert.ok(server);
      assert.ok(server.dir.startsWith(parent + "/"));
      assert.equal(await canConnect(server.port), true);
      await stopAllUnder(parent); // as tests/run.ts does after a test process died without stop()
      assert.equal(await canConnect(server.port), false);
      assert.deepEqual(await Array.fromAsync(Deno.readDir(parent)), []);
    } finally {
      await Deno.remove(parent, { recursive: true });
    }
  },
});

Deno.test("startPostgres returns null when the given bin dir has no server binaries", async () => {
  const empty = await Deno.makeTempDir();
  try {
    assert.equal(await startPostgres({ binDir: empty }), null);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
