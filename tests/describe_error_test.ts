/** Logged errors name the statement that failed, never the values it carried. */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openPglite } from "../db/pglite/open.ts";
import { describeError } from "../src/describe_error.ts";
import { looseTest } from "./_support/loose_test.ts";

looseTest(
  "a failed insert's log line keeps the SQL and the database's reason but drops its parameters",
  async () => {
    const database = await openPglite();
    try {
      const secret = `SECRET-${"x".repeat(100_000)}`;
      const err = await database.db.execute(
        sql`insert into runs (id, name, reference_id, dim) values (${secret}, ${secret}, 'no such reference', 3)`,
      ).catch((e) => e);
      assert.ok(err instanceof Error);
      assert.ok(String(err.message).includes("SECRET"), "the driver's own message carries the parameters");
      const line = describeError(err);
      assert.ok(!line.includes("SECRET"), line.slice(0, 300));
      assert.match(line, /insert into runs/);
      assert.match(line, /foreign key/, "the database's reason is kept");
      assert.ok(line.length <= 4003);
    } finally {
      await database.close();
    }
  },
);
