/**
 * A lost database connection is a 503 (retry), however deeply the driver wraps it; and postgres.js's uncaught
 * write-after-close TypeError (porsager/postgres#1154) neither ends the process nor leaves the pool unusable.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { isPostgresWriteRace, openPostgres } from "../../../db/postgres/open.ts";
import { handleError } from "../../../functions/errors.ts";
import { testOnPostgres } from "../../_support/databases.ts";

function withCode(message: string, code: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code });
}

async function statusOf(err: Error): Promise<[number, string]> {
  const app = new Hono();
  app.get("/", () => {
    throw err;
  });
  app.onError(handleError);
  const res = await app.request("/");
  return [res.status, (await res.json()).error.code];
}

Deno.test("connection failures map to 503 database_unavailable, at any depth of wrapping", async () => {
  const drizzleLike = (cause: unknown) => new Error("Failed query: select 1", { cause });
  const lost = [
    drizzleLike(withCode("This socket has been ended by the other party", "EPIPE")),
    drizzleLike(withCode("write CONNECT_TIMEOUT 127.0.0.1:5432", "CONNECT_TIMEOUT")),
    drizzleLike(withCode("write CONNECTION_DESTROYED", "CONNECTION_DESTROYED")),
    drizzleLike(withCode("terminating connection due to crash of another server process", "57P02")),
    drizzleLike(withCode("connection failure", "08006")),
    drizzleLike(drizzleLike(withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"))),
    withCode("read ETIMEDOUT", "ETIMEDOUT"),
  ];
  for (const err of lost) {
    assert.deepEqual(await statusOf(err), [503, "database_unavailable"], String(err.cause));
  }
  // Errors of the query itself are bugs or data problems, not outages: still a 500.
  const notLost = [
    drizzleLike(withCode("duplicate key value violates unique constraint", "23505")),
    drizzleLike(withCode("syntax error", "42601")),
    new TypeError("x is undefined"),
  ];
  for (const err of notLost) assert.deepEqual(await statusOf(err), [500, "internal"], String(err));
});

Deno.test("only postgres.js's nextWrite null-socket TypeError counts as the write race", () => {
  function nextWrite(socket: { write(): void } | null) {
    return socket!.write();
  }
  let race: unknown;
  try {
    nextWrite(null);
  } catch (e) {
    race = e;
  }
  assert.equal(isPostgresWriteRace(race), true, String(race));
  assert.equal(isPostgresWriteRace(new TypeError("Cannot read properties of null (reading 'write')")), false);
  assert.equal(isPostgresWriteRace(new Error("nextWrite (reading 'write')")), false);
});

testOnPostgres(
  "[postgres] the write race from a timer neither ends the process nor breaks queries or LISTEN",
  async (url) => {
    const database = await openPostgres(url);
    try {
      const heard: string[] = [];
      const unlisten = await database.listen("race_test", (p) => heard.push(p));
      // What postgres.js does when a queued write runs after its socket closed: throw from an immediate.
      await new Promise<void>((resolve) => {
        setImmediate(function nextWrite() {
          setTimeout(resolve, 50);
          (null as unknown as { write(): void }).write();
        });
      });
      // The pool was replaced; queries and notifications work on.
      const rows = await database.db.execute("select 41 + 1 as answer" as never);
      assert.equal(Number((rows as unknown as { answer: number }[])[0].answer), 42);
      await database.db.execute("select pg_notify('race_test', 'after')" as never);
      const deadline = Date.now() + 5_000;
      while (!heard.includes("after") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(heard, ["after"]);
      await unlisten();
    } finally {
      await database.close();
    }
  },
);
