/**
 * kill -9 of a server process in the middle of uploads and folds (FIDSTREAM_FOLD_INTERVAL_MS=0 and no metrics
 * delay, so a fold is almost always under way), then a restart on the same database -- a PGlite data dir and a
 * PostgreSQL database. Clients (four test clients and a spawned `cli upload`) retry what was not answered. Every
 * batch that got a 200 is counted exactly once, and the final n, FID and checkpoint moments equal the offline
 * statistics of all acknowledged batches.
 */
import assert from "node:assert/strict";
import type { Database } from "../../../db/database.ts";
import { openDatabase } from "../../../db/open.ts";
import { openPostgres } from "../../../db/postgres/open.ts";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { testOnPostgres } from "../../_support/databases.ts";
import {
  type Ack,
  planBatches,
  stackRows,
  StatusLog,
  uploadConcurrently,
} from "../../../tools/retrying_uploader.ts";
import { type ServerProcess, startServerProcess } from "../../../tools/server_process.ts";
import {
  assertAckHistory,
  assertCheckpointMatchesOffline,
  assertFinalMatchesOffline,
  assertReplays,
  createReferenceAndRun,
  finalize,
  freePort,
} from "./_harness.ts";

const D = 8;
const KILLS = 2;
const CLI = new URL("../../../cli/main.ts", import.meta.url).pathname;

async function waitUntil(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `deno task cli upload` of one file, as a separate process with its own retries. */
function spawnCliUpload(server: string, runId: string, file: string): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      CLI,
      "upload",
      "--server",
      server,
      "--run",
      runId,
      file,
      "--chunk",
      "9",
      "--retries",
      "40",
      "--retry-delay",
      "100",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

function lastJsonLine(out: Deno.CommandOutput): Record<string, number> {
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, `cli upload failed: ${text}\n${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text.split("\n").at(-1)!);
}

async function killDuringUploads(
  env: Record<string, string>,
  open: () => Promise<Database>,
  dataDir?: string,
) {
  const fullEnv = {
    ...env,
    PORT: String(freePort()),
    FIDSTREAM_FOLD_INTERVAL_MS: "0",
    FIDSTREAM_METRICS_DELAY_MS: "0",
    FIDSTREAM_REQUESTS_PER_MINUTE: "0",
  };
  let server: ServerProcess = await startServerProcess(fullEnv);
  const url = server.url; // the same port after each restart
  const tmp = await Deno.makeTempDir({ prefix: "fidstream-kill9-" });
  try {
    const refData = randomFeatures(150, D, 1);
    const runId = await createReferenceAndRun(url, refData, 150, D);
    const batches = planBatches("client", 240, (i) => 2 + (i % 5), D, 1000);
    const cliRows = 301;
    const cliData = randomFeatures(cliRows, D, 77, 0.25);
    const cliFile = `${tmp}/cli.npy`;
    await Deno.writeFile(cliFile, npyOf(cliData, cliRows, D));

    const log = new StatusLog();
    const uploads = uploadConcurrently(runId, batches, 4, {
      servers: () => [url],
      deadline: performance.now() + 120_000,
      log,
      backoffMs: 20,
    });
    const cli = spawnCliUpload(url, runId, cliFile);
    for (let k = 1; k <= KILLS; k++) {
      await waitUntil(`${k * 40} acknowledged batches`, () => log.count("200") >= k * 40, 60_000);
      await server.stop("SIGKILL");
      if (dataDir) {
        // The dead process's pid lock is still there; it must not block the restart.
        // FIDSTREAM_DATA_DIR keeps the embedded database (and its pid lock) in db/.
        // It holds "<pid> <start time>".
        const holder = Number((await Deno.readTextFile(`${dataDir}/db/fidstream.pid`)).split(" ")[0]);
        assert.equal(holder, server.child.pid, "the killed server's pid lock is left behind");
      }
      server = await startServerProcess(fullEnv);
    }
    const acks = await uploads;
    const cliResult = lastJsonLine(await cli);
    assert.ok(log.count("network") > 0, `the kills interrupted uploads (${log})`);
    assert.deepEqual(log.unexpected(["200", "network"]), [], `statuses: ${log}`);
    const acked = new Map<string, Ack>(acks.map((a) => [a.key, a]));
    // Every 200 stayed durable and counted once: a resend replays exactly the first answer.
    await assertReplays(url, runId, batches, acked);
    const run = await (await fetch(`${url}/v1/runs/${runId}`)).json();
    const total = batches.reduce((s, b) => s + b.n, 0) + cliRows;
    assert.equal(run.n, total, "run n = every client batch + every cli chunk, once");
    assert.ok(
      cliResult.n <= total && cliResult.batches === Math.ceil(cliRows / 9),
      JSON.stringify(cliResult),
    );
    // Running the cli again after the interruptions sends only keys the server has: nothing is added.
    const again = lastJsonLine(await spawnCliUpload(url, runId, cliFile));
    assert.equal(again.n, cliResult.n, "re-running the cli upload replays its last chunk's answer");
    assert.equal((await (await fetch(`${url}/v1/runs/${runId}`)).json()).n, total);
    // In the order of n, each ack adds its own rows; what is left over is exactly the cli's rows.
    assertAckHistory(batches, acked, cliRows, total);

    const gen = stackRows([...batches, { n: cliRows, data: cliData }], D);
    const final = await finalize(url, runId);
    assertFinalMatchesOffline(final, refData, gen, D);
    await server.stop("SIGTERM");
    const database = await open();
    try {
      await assertCheckpointMatchesOffline(database, runId, gen, D);
    } finally {
      await database.close();
    }
  } finally {
    await server.stop("SIGKILL");
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  name:
    "[pglite] kill -9 mid-upload and mid-fold, restart on the same data dir: every acknowledged batch once",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "fidstream-kill9-pglite-" });
    try {
      await killDuringUploads(
        { FIDSTREAM_DATA_DIR: dataDir },
        () => openDatabase({ dataDir: `${dataDir}/db` }),
        dataDir,
      );
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

testOnPostgres(
  "[postgres] kill -9 mid-upload and mid-fold, restart on the same database: every acknowledged batch once",
  async (url) => {
    await killDuringUploads({ DATABASE_URL: url }, () => openPostgres(url));
  },
);
