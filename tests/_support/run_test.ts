import assert from "node:assert/strict";

// End-to-end checks of tests/run.ts on fixture test files made in a temp dir. DATABASE_URL_TEST is set so
// that the runner does not start a server of its own (that path is covered by postgres_server_test.ts).
const RUNNER = new URL("../run.ts", import.meta.url).pathname;

async function runRunner(files: Record<string, string>, env: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "fidstream-run-test-" });
  try {
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, text);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", RUNNER, dir],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const lines = stdout.trimEnd().split("\n");
    return { code: out.code, stdout, last: lines.at(-1) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("run.ts ends with 'N passed, N failed, N skipped', lists ignored tests, exits 0 when all pass", async () => {
  const r = await runRunner({
    "a_test.ts": `
      Deno.test("sees the caller's URL", () => {
        if (Deno.env.get("FIDSTREAM_TEST_PG_URL") !== "postgres://caller@127.0.0.1:1/x") throw new Error("url");
      });
      Deno.test("steps", async (t) => { await t.step("one", () => {}); });
      Deno.test({ name: "needs a GPU [SKIPPED]", ignore: true, fn() {} });
    `,
  }, { DATABASE_URL_TEST: "postgres://caller@127.0.0.1:1/x" });
  assert.equal(r.code, 0, r.stdout);
  assert.equal(r.last, "3 passed, 0 failed, 1 skipped");
  assert.match(r.stdout, /Skipped \(ignored\) tests:\n {2}- \S*a_test\.ts > needs a GPU \[SKIPPED\]/);
});

Deno.test("run.ts exits non-zero and counts a module-load error as failed", async () => {
  const r = await runRunner({
    "a_test.ts": `Deno.test("fine", () => {});`,
    "b_test.ts": `throw new Error("broken module");`,
  }, { DATABASE_URL_TEST: "postgres://unused@127.0.0.1:1/x" });
  assert.notEqual(r.code, 0);
  assert.equal(r.last, "1 passed, 1 failed");
});

Deno.test("run.ts counts a type error that stops deno test before any test as 1 failed", async () => {
  const r = await runRunner({
    "a_test.ts": `const n: number = "not a number"; Deno.test("never runs", () => {});`,
  }, { DATABASE_URL_TEST: "postgres://unused@127.0.0.1:1/x" });
  assert.notEqual(r.code, 0);
  assert.equal(r.last, "0 passed, 1 failed");
});
