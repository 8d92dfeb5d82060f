import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";

Deno.test("the CLI without a command or with an unknown one prints usage and exits 2; help exits 0", async () => {
  const [none, unknown, help] = await Promise.all([runCli([]), runCli(["frobnicate"]), runCli(["--help"])]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /usage: deno task cli <command>/);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.equal(help.code, 0);
  for (const command of ["fid", "kid", "is", "stats", "upload"]) {
    assert.match(help.stderr, new RegExp(`\\n  ${command} `));
  }
  assert.equal(none.stdout + unknown.stdout + help.stdout, "");
});
