/**
 * The project's test command (`deno task test [paths or deno test flags...]`).
 *
 * 1. Starts a throwaway PostgreSQL (tools/postgres_server.ts) and hands its URL to the tests as
 *    FIDSTREAM_TEST_PG_URL. A caller-provided DATABASE_URL_TEST is used instead when set. Without server
 *    binaries the variable stays unset and the PostgreSQL suites ignore themselves. Every server started
 *    during the run (also by the tests themselves) lives under one temp dir that is swept at the end, so a
 *    crashed or killed test process leaves no postgres behind.
 * 2. Runs `deno test -A --permit-no-files --junit-path=<tmp> <args | tests/>`, streaming its output.
 * 3. Prints, as the very last line, `N passed, N failed` (plus `, N skipped` when some were ignored).
 *
 * What is counted: every <testcase> element of deno's JUnit report, i.e. each test AND each t.step is one
 * case (deno's own summary also counts both, as "N passed (M steps)"). A failing step therefore counts once
 * for the step and once for its parent test. Errors that deno raises outside any test (an uncaught error at
 * module load) are missing from the JUnit report; they are read from deno's summary line and added to
 * "failed". A non-zero exit from deno test with nothing counted as failed (e.g. a type error that stopped
 * the run before any test) counts as 1 failed, so the line never reads as success for a failed run.
 */
import { PARENT_DIR_ENV, startPostgres, stopAllUnder } from "../tools/postgres_server.ts";
import { type JUnitCounts, parseJUnit, summaryFailedTotal, summaryLine } from "./_support/test_report.ts";

const NO_BINARIES_MESSAGE =
  "PostgreSQL server binaries not found: the PostgreSQL suites are SKIPPED (install postgresql to run them)";

/** Copy a child stream to ours as it arrives, keeping the last `keep` characters for the summary. */
async function pump(
  src: ReadableStream<Uint8Array>,
  dst: { write(p: Uint8Array): Promise<number> },
  tail: { text: string },
  keep: number,
) {
  const dec = new TextDecoder();
  for await (const chunk of src) {
    let off = 0;
    while (off < chunk.length) off += await dst.write(chunk.subarray(off));
    tail.text = (tail.text + dec.decode(chunk, { stream: true })).slice(-keep);
  }
}

async function main(): Promise<number> {
  const args = Deno.args.length > 0 ? [...Deno.args] : ["tests/"];
  const env = Deno.env.toObject();

  // One temp dir per run: the JUnit report, plus pg/ where every throwaway server of this run lives (the
  // runner's and those the tests start themselves), so the finally below can stop whatever a crashed or
  // killed test process left running. Traversable by the `postgres` user, who runs them when we are root.
  const tmp = await Deno.makeTempDir({ prefix: "fidstream-test-" });
  const pgParent = `${tmp}/pg`;
  await Deno.mkdir(pgParent);
  await Deno.chmod(tmp, 0o755);
  await Deno.chmod(pgParent, 0o755);
  env[PARENT_DIR_ENV] = pgParent;
  const junitPath = `${tmp}/junit.xml`;

  let child: Deno.ChildProcess | null = null;
  let interrupted = false;
  // Ctrl-C / SIGTERM: end the test process; the normal path below then reports and cleans up.
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const handler = () => {
      interrupted = true;
      try {
        child?.kill(sig);
      } catch { /* already gone */ }
    };
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });

  try {
    const callerUrl = env.DATABASE_URL_TEST;
    if (callerUrl) {
      console.log(`Using the caller's PostgreSQL from DATABASE_URL_TEST for the PostgreSQL suites.`);
      env.FIDSTREAM_TEST_PG_URL = callerUrl;
    } else {
      delete env.FIDSTREAM_TEST_PG_URL;
      const t0 = performance.now();
      const server = await startPostgres({ parentDir: pgParent });
      if (server) {
        env.FIDSTREAM_TEST_PG_URL = server.url;
        const secs = ((performance.now() - t0) / 1000).toFixed(1);
        console.log(`Started a throwaway PostgreSQL at ${server.url} in ${secs} s`);
      } else {
        console.log(NO_BINARIES_MESSAGE);
      }
    }
    // Colour codes only help a terminal; CI logs stay plain.
    if (!Deno.stdout.isTerminal() && env.NO_COLOR === undefined) env.NO_COLOR = "1";
    if (interrupted) {
      console.log("0 passed, 1 failed");
      return 130;
    }

    child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--permit-no-files", `--junit-path=${junitPath}`, ...args],
      env,
      clearEnv: true, // so that an "unset" FIDSTREAM_TEST_PG_URL really is unset in the child
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const outTail = { text: "" };
    const errTail = { text: "" };
    await Promise.all([
      pump(child.stdout, Deno.stdout, outTail, 64 * 1024),
      pump(child.stderr, Deno.stderr, errTail, 4 * 1024),
    ]);
    const status = await child.status;
    child = null;

    let counts: JUnitCounts = { passed: 0, failed: 0, skipped: 0, skippedNames: [], failedNames: [] };
    try {
      counts = parseJUnit(await Deno.readTextFile(junitPath));
    } catch {
      // No report: deno stopped before running tests (type error, bad flag, killed).
    }
    let failed = counts.failed;
    const fromSummary = summaryFailedTotal(outTail.text);
    if (fromSummary !== null && fromSummary > failed) {
      console.log(
        `(${fromSummary - failed} failure(s) outside any test, e.g. an uncaught error at module load)`,
      );
      failed = fromSummary;
    }
    if (status.code !== 0 && failed === 0) {
      console.log(
        `(deno test exited with code ${status.code} before reporting a failed test: counted as 1 failed)`,
      );
      failed = 1;
    }

    if (counts.skippedNames.length > 0) {
      console.log(`\nSkipped (ignored) tests:`);
      for (const name of counts.skippedNames) console.log(`  - ${name}`);
    }
    if (counts.failedNames.length > 0) {
      console.log(`\nFailed tests:`);
      for (const name of counts.failedNames) console.log(`  - ${name}`);
    }
    // Both pumps have finished and cleanup below prints nothing, so this stays the last line.
    console.log(summaryLine(counts.passed, failed, counts.skipped));
    if (interrupted) return 130;
    return status.code !== 0 ? status.code : failed > 0 ? 1 : 0;
  } finally {
    for (const [sig, handler] of handlers) Deno.removeSignalListener(sig, handler);
    await stopAllUnder(pgParent);
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  Deno.exit(await main());
}
