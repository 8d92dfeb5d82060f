/**
 * PGlite on its worker thread: statements, transactions and notifications behave as PGlite's own, and a large
 * write no longer holds the request thread (on the request thread, a 64 MiB insert took seconds there).
 */
import assert from "node:assert/strict";
import { PgliteWorkerClient } from "../../../db/pglite/worker_client.ts";
import { measureStall } from "../../../tools/event_loop_stall.ts";

Deno.test({
  name: "PGlite worker client",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const client = await PgliteWorkerClient.create();
    try {
      await client.exec("create table kv (k text primary key, v bytea)");

      await t.step("a 48 MiB write leaves the event loop free (timer gaps stay short)", async () => {
        const blob = new Uint8Array(48 << 20).map((_, i) => i % 251);
        const { wallMs: took, blockedMs: worstGap } = await measureStall(
          () => client.query("insert into kv values ($1, $2)", ["big", blob]),
          10,
        );
        assert.ok(took > 500, `the write itself took ${took.toFixed(0)} ms, so the check means something`);
        // Copying the value to the worker takes some milliseconds; the write's seconds must not show here.
        assert.ok(
          worstGap < Math.min(1000, took / 3),
          `the event loop stalled ${worstGap.toFixed(0)} ms of ${took.toFixed(0)}`,
        );
        const { rows } = await client.query("select v from kv where k = 'big'");
        assert.deepEqual((rows[0] as { v: Uint8Array }).v, blob);
      });

      await t.step("rows come as objects or arrays; timestamps stay text when Drizzle asks so", async () => {
        const sql = "select 1::int as one, '2024-01-02 03:04:05.123456+00'::timestamptz as at";
        const objects = await client.query(sql);
        assert.deepEqual(objects.rows, [{ one: 1, at: new Date("2024-01-02T03:04:05.123Z") }]);
        const raw = await client.query(sql, [], { rowMode: "array", parsers: { 1184: (v: string) => v } });
        assert.deepEqual(raw.rows, [[1, "2024-01-02 03:04:05.123456+00"]]);
      });

      await t.step(
        "a transaction commits on return and rolls back on throw; others wait for it",
        async () => {
          await client.transaction(async (tx) => {
            await tx.query("insert into kv values ('a', null)");
          });
          let outsideRan = false;
          const failed = client.transaction(async (tx) => {
            await tx.query("insert into kv values ('b', null)");
            // A statement outside the transaction must not see or interleave with it.
            const outside = client.query("select count(*)::int as n from kv").then((r) => {
              outsideRan = true;
              return r;
            });
            await new Promise((r) => setTimeout(r, 50));
            assert.equal(outsideRan, false, "the outside statement waits for the transaction");
            throw Object.assign(new Error("boom"), { outside });
          });
          const err = await failed.catch((e) => e);
          assert.equal(err.message, "boom");
          assert.deepEqual(
            (await err.outside).rows,
            [{ n: 2 }],
            "b was rolled back before the outside count",
          );
          const keys = (await client.query("select k from kv order by k")).rows.map((r) =>
            (r as { k: string }).k
          );
          assert.deepEqual(keys, ["a", "big"]);
        },
      );

      await t.step("database errors keep their SQLSTATE code and message", async () => {
        const err = await client.query("insert into kv values ('a', null)").catch((e) => e);
        assert.equal(err.code, "23505");
        assert.match(err.message, /duplicate key/);
        const inTx = await client.transaction(async (tx) => {
          await tx.query("insert into kv values ('a', null)");
        }).catch((e) => e);
        assert.equal(inTx.code, "23505");
        assert.equal((await client.query("select 1 as ok")).rows.length, 1, "the database still serves");
      });

      await t.step("notifications reach every listener until it unsubscribes", async () => {
        const got: string[] = [];
        const stop = await client.listen("chan", (p) => got.push(p));
        await client.query("select pg_notify('chan', 'one')");
        await client.transaction(async (tx) => {
          await tx.query("select pg_notify('chan', 'two')");
        });
        for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(got, ["one", "two"]);
        await stop();
        await client.query("select pg_notify('chan', 'three')");
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(got, ["one", "two"]);
      });
    } finally {
      await client.close();
    }
    await assert.rejects(client.query("select 1"), /closed/);
  },
});
