import assert from "node:assert/strict";
import { parseJUnit, summaryFailedTotal, summaryLine } from "./test_report.ts";

// A fixture whose outcomes are known by construction: 2 plain passes, 1 plain failure, 1 ignored test,
// and a test with 2 steps of which one fails (so the step and its parent both fail).
const FIXTURE = `
Deno.test("passes <&> \\"quoted\\"", () => {});
Deno.test("passes too", () => {});
Deno.test("fails", () => { throw new Error("boom <x>"); });
Deno.test({ name: "ignored: needs a thing", ignore: true, fn() {} });
Deno.test("has steps", async (t) => {
  await t.step("step ok", () => {});
  await t.step("step fails", () => { throw new Error("step </testcase> boom"); });
});
`;

async function runDenoTest(files: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "fidstream-report-test-" });
  try {
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, text);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--no-config", "--junit-path=junit.xml", "."],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const xml = await Deno.readTextFile(`${dir}/junit.xml`);
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout), xml };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseJUnit counts each test and each step of a real deno JUnit report once", async () => {
  const run = await runDenoTest({ "a_test.ts": FIXTURE });
  assert.notEqual(run.code, 0);
  const counts = parseJUnit(run.xml);
  // passed: 2 plain + "step ok"; failed: "fails", "has steps", "has steps > step fails"; skipped: 1.
  assert.equal(counts.passed, 3);
  assert.equal(counts.failed, 3);
  assert.equal(counts.skipped, 1);
  assert.deepEqual(counts.skippedNames, ["./a_test.ts > ignored: needs a thing"]);
  assert.deepEqual(counts.failedNames.toSorted(), [
    "./a_test.ts > fails",
    "./a_test.ts > has steps",
    "./a_test.ts > has steps > step fails",
  ]);
  // deno's summary counts the same cases (tests + steps) as failed.
  assert.equal(summaryFailedTotal(run.stdout), 3);
});

Deno.test("summaryFailedTotal sees an uncaught module error that the JUnit report leaves out", async () => {
  const run = await runDenoTest({
    "a_test.ts": `Deno.test("ok", () => {});`,
    "b_test.ts": `throw new Error("x");`,
  });
  const counts = parseJUnit(run.xml);
  assert.equal(counts.failed, 0);
  assert.equal(counts.passed, 1);
  assert.equal(summaryFailedTotal(run.stdout), 1);
});

Deno.test("parseJUnit decodes XML entities in names and handles self-closing testcases", () => {
  const xml = `<testsuites><testsuite name="./x_test.ts">
    <testcase name="a &amp; b &#60;c&#x3e; &quot;d&quot; &apos;e&apos;" classname="./x_test.ts" time="0"/>
    <testcase name="skip me" classname="./x_test.ts" time="0"><skipped/></testcase>
    <testcase name="err" classname="./x_test.ts" time="0"><error message="m">e</error></testcase>
  </testsuite></testsuites>`;
  const c = parseJUnit(xml);
  assert.deepEqual([c.passed, c.failed, c.skipped], [1, 1, 1]);
  assert.deepEqual(c.skippedNames, ["./x_test.ts > skip me"]);
  assert.deepEqual(c.failedNames, ["./x_test.ts > err"]);
});

Deno.test("summaryFailedTotal reads coloured and plain summary lines, null when there is none", () => {
  assert.equal(summaryFailedTotal("\x1b[0m\x1b[32mok\x1b[0m | 3 passed | 0 failed \x1b[0m(1s)\n"), 0);
  assert.equal(summaryFailedTotal("FAILED | 1 passed (1 step) | 3 failed (2 steps) | 1 ignored (4ms)\n"), 5);
  assert.equal(summaryFailedTotal("error: Module not found\n"), null);
});

Deno.test("summaryLine prints skipped only when some were skipped", () => {
  assert.equal(summaryLine(5, 0, 0), "5 passed, 0 failed");
  assert.equal(summaryLine(5, 2, 3), "5 passed, 2 failed, 3 skipped");
});
