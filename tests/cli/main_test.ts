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

Deno.test("every command answers --help (and -h) with its usage and exit 0, before parsing its options", async () => {
  const commands = ["fid", "kid", "is", "stats", "upload", "keys", "features"];
  const results = await Promise.all(
    commands.map((c, i) => runCli(i % 2 ? [c, "-h"] : [c, "--bogus", "--help"])),
  );
  for (const [i, r] of results.entries()) {
    assert.equal(r.code, 0, `${commands[i]}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: deno task cli ${commands[i]} `), commands[i]);
    assert.doesNotMatch(r.stdout + r.stderr, /unknown option|error/, commands[i]);
  }
});
