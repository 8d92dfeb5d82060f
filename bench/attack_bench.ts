/**
 * What one write key can do to a running server (the hardening issue's items 1-3, plus the statistics burst of
 * item 4), measured as other clients see it: the longest wait of a probe request (GET /v1/openapi.json every
 * 50 ms) and the server's peak RSS, on the default deployment (PGlite, auth off: one key for everyone).
 *
 *   deno task bench attack [-- --main OTHER/functions/main.ts] [--quick] [--only 1,2,3,3b,4]
 *
 * --main runs another checkout's server (e.g. `git worktree add /tmp/before <commit>`) for a before/after table;
 * every attack is bounded in size and time and aimed at loopback only. Attacks a server does not survive are
 * reported as such (the bench stops it after a time limit).
 */
import { parseArgs } from "node:util";
import { startServerProcess } from "../tools/server_process.ts";
import {
  claimedBodies,
  createTarget,
  deepConfig,
  manyParts,
  Probe,
  slowHeaders,
  statsBurst,
  statsNpz,
} from "../tools/attacks.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    main: { type: "string" },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const quick = values.quick;
/** Attacks to run ("1,3b"); all by default. A server hung by one attack cannot be measured on the next. */
const only = values.only?.split(",");
const wanted = (id: string) => !only || only.includes(id);

type Row = {
  attack: string;
  answer: string;
  seconds: number;
  probeMs: number;
  rssMb: number;
  peakMb: number;
};
const rows: Row[] = [];

const dataDir = await Deno.makeTempDir({ prefix: "fidstream-attack-bench-" });
const server = await startServerProcess(
  { FIDSTREAM_DATA_DIR: dataDir },
  values.main ? new URL(values.main, `file://${Deno.cwd()}/`).pathname : undefined,
);
const url = server.url;

/** Runs one attack with a probe; `limitS` bounds it (a hung server is recorded, not waited for). */
async function measure(attack: string, fn: () => Promise<string>, limitS = 150) {
  if (!wanted(attack.split(".")[0])) return;
  const probe = await new Probe(url, server.child.pid).start();
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = await Promise.race([
    fn().catch((e) => `failed: ${e instanceof Error ? e.message.slice(0, 60) : e}`),
    new Promise<string>((r) => (timer = setTimeout(() => r(`no answer within ${limitS} s`), limitS * 1000))),
  ]);
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  const { maxLatencyMs, rssGrowthMb, peakRssMb } = await probe.stop();
  rows.push({ attack, answer, seconds, probeMs: maxLatencyMs, rssMb: rssGrowthMb, peakMb: peakRssMb });
  console.log(
    `${attack}: ${answer} in ${seconds.toFixed(1)} s; probe max ${maxLatencyMs.toFixed(0)} ms; ` +
      `RSS +${rssGrowthMb.toFixed(0)} MiB (peak ${peakRssMb.toFixed(0)})`,
  );
}

const summarize = (answers: string[]) =>
  Object.entries(Object.groupBy(answers, (a) => a)).map(([a, list]) => `${list!.length}x ${a}`).join(", ");

try {
  const { refId, runId } = await createTarget(url);

  await measure(
    "1. config nested 10,000 deep, twice",
    async () => summarize(await deepConfig(url, refId, 10_000, 2)),
  );
  await measure(
    `2. multipart batch of ${quick ? "1,000,000" : "3,000,000"} empty parts`,
    () => manyParts(url, runId, quick ? 1_000_000 : 3_000_000),
  );
  await measure(
    `3. ${quick ? 200 : 1000} connections claiming 256 MiB, sending 6 bytes (held 65 s)`,
    async () => summarize(await claimedBodies(url, runId, quick ? 200 : 1000, 268_435_000, 65_000)),
    90,
  );
  await measure(
    "3b. 2,000 half-sent request heads (held 35 s)",
    async () => `${await slowHeaders(url, 2000, 35_000)} of 2000 closed by the server`,
    60,
  );
  await measure(
    "4. four D=4096 statistics files at once",
    async () => summarize(await statsBurst(url, 4, statsNpz(4096))),
  );
} finally {
  server.child.kill("SIGKILL");
  await server.child.status;
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
}

console.log(`\nserver: ${values.main ?? "functions/main.ts (this checkout)"}, PGlite, one machine\n`);
console.log("| attack | answer | s | longest probe wait, ms | RSS growth, MiB |");
console.log("| --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(
    `| ${r.attack} | ${r.answer} | ${r.seconds.toFixed(1)} | ${r.probeMs.toFixed(0)} | ${
      r.rssMb.toFixed(0)
    } |`,
  );
}
