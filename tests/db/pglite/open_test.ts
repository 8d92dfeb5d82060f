import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../../db/database.ts";
import { openPglite } from "../../../db/pglite/open.ts";
import { appendBatch, ownerFeatures } from "../../../db/store/batches.ts";
import { loadReferenceFactor, saveReferenceFactor } from "../../../db/store/reference_factors.ts";
import { insertReference } from "../../../db/store/references.ts";
import { insertRun } from "../../../db/store/runs.ts";

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)).toString("hex");
}

function assertSameBytes(got: Uint8Array | undefined, want: Uint8Array, what: string) {
  assert.ok(got instanceof Uint8Array, `${what}: a Uint8Array`);
  assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype, `${what}: a plain Uint8Array, not a Buffer`);
  assert.equal(got.length, want.length, `${what}: length`);
  assert.ok(Buffer.compare(got, want) === 0, `${what}: identical bytes`);
}

// One in-memory database for every step: opening PGlite costs seconds on this machine.
Deno.test({
  name: "PGlite bytea",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const database = await openPglite();
    const db = database.db;
    try {
      await t.step("bytes the server generates (all 256 values, empty) read back exactly", async () => {
        const [row] = rowsOf<{ all: Uint8Array; empty: Uint8Array }>(
          await db.execute(sql`select
            (select decode(string_agg(lpad(to_hex(i), 2, '0'), '' order by i), 'hex')
               from generate_series(0, 255) i) as all,
            ''::bytea as empty`),
        );
        assertSameBytes(row.all, ALL_BYTES, "all 256");
        assertSameBytes(row.empty, new Uint8Array(0), "empty");
      });

      await t.step("bound bytea parameters reach the server exactly (length and SHA-256)", async () => {
        for (const bytes of [ALL_BYTES, new Uint8Array(0), randomBytes(1), randomBytes(100_003)]) {
          const [row] = rowsOf<{ len: number; digest: string }>(
            await db.execute(
              sql`select length(${bytes}::bytea) as len, encode(sha256(${bytes}::bytea), 'hex') as digest`,
            ),
          );
          assert.equal(Number(row.len), bytes.length);
          assert.equal(row.digest, await sha256Hex(bytes));
        }
      });

      await t.step("a 16 MiB + 1 value round-trips through a raw query with identical bytes", async () => {
        const bytes = randomBytes(16 * 2 ** 20 + 1);
        await db.execute(sql`create temp table blob (b bytea)`);
        await db.execute(sql`insert into blob values (${bytes})`);
        const [row] = rowsOf<{ b: Uint8Array; digest: string }>(
          await db.execute(sql`select b, encode(sha256(b), 'hex') as digest from blob`),
        );
        assert.equal(row.digest, await sha256Hex(bytes), "server stored the exact bytes");
        assertSameBytes(row.b, bytes, "16 MiB read back");
      });

      await t.step("the store API round-trips bytea columns exactly", async () => {
        await insertReference(db, { id: "ref", name: "r", dim: 2, source: "features" });
        for (
          const [n, factor] of [[1, ALL_BYTES], [2, new Uint8Array(0)], [3, randomBytes(12_345)]] as const
        ) {
          await saveReferenceFactor(db, "ref", n, factor);
          assertSameBytes(await loadReferenceFactor(db, "ref", n), factor, `reference factor ${n}`);
        }
        await insertRun(db, { id: "run", name: "x", referenceId: "ref", dim: 2 });
        const features = randomBytes(1000 * 2 * 4);
        await appendBatch(db, {
          owner: { kind: "run", id: "run" },
          idempotencyKey: "k",
          bodySha256: "-",
          n: 1000,
          dim: 2,
          dtype: "float32",
          features,
        });
        const stored = [];
        for await (const b of ownerFeatures(db, "run")) stored.push(b);
        assert.equal(stored.length, 1);
        assertSameBytes(stored[0].features, features, "batch features");
      });

      await t.step("escape-format output (bytea_output = 'escape') also reads back exactly", async () => {
        await db.execute(sql`set bytea_output = 'escape'`);
        try {
          const [row] = rowsOf<{ all: Uint8Array; empty: Uint8Array; param: Uint8Array }>(
            await db.execute(sql`select
              (select decode(string_agg(lpad(to_hex(i), 2, '0'), '' order by i), 'hex')
                 from generate_series(0, 255) i) as all,
              ''::bytea as empty,
              ${ALL_BYTES}::bytea as param`),
          );
          assertSameBytes(row.all, ALL_BYTES, "all 256 (escape)");
          assertSameBytes(row.empty, new Uint8Array(0), "empty (escape)");
          assertSameBytes(row.param, ALL_BYTES, "parameter echoed (escape)");
        } finally {
          await db.execute(sql`reset bytea_output`);
        }
      });
    } finally {
      await database.close();
    }
  },
});
