/**
 * The Python client (clients/python/fidstream.py) against real server processes: its unittest suite
 * (test_fidstream.py), and a training loop whose server is killed with SIGKILL mid-upload and restarted, on
 * PGlite and on PostgreSQL, after which the client's retries still give the exact final n and FID.
 */
import assert from "node:assert/strict";
import { readInitialKey } from "../../../functions/auth/initial_key.ts";
import { freshPostgresDatabase, testPostgresUrl } from "../../_support/databases.ts";
import { PYTHON, pythonTest, runPython } from "../../_support/python.ts";
import { type ServerProcess, startServerProcess } from "../../../tools/server_process.ts";
import { freePort } from "../../functions/faults/_harness.ts";

const HERE = new URL(".", import.meta.url).pathname;
const CLIENT_DIR = new URL("../../../clients/python", import.meta.url).pathname;

/** Environment for a Python process using the client against `url` with `key`. */
function clientEnv(url: string, key: string): Record<string, string> {
  return { PYTHONPATH: `${CLIENT_DIR}:${HERE}`, FIDSTREAM_URL: url, FIDSTREAM_API_KEY: key };
}

pythonTest("[pglite] the Python client's unittest suite passes against a real server", async () => {
  const [dir, limitedDir] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const [server, limited] = await Promise.all([
    startServerProcess({ FIDSTREAM_AUTH: "on", FIDSTREAM_DATA_DIR: dir }),
    startServerProcess({ FIDSTREAM_DATA_DIR: limitedDir, FIDSTREAM_REQUESTS_PER_MINUTE: "60" }),
  ]);
  try {
    const key = (await readInitialKey(dir))!;
    const r = await runPython(["-m", "unittest", "-v", "test_fidstream"], {
      cwd: HERE,
      env: { ...clientEnv(server.url, key), FIDSTREAM_RATE_LIMITED_URL: limited.url },
    });
    const output = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.code, 0, output);
    assert.match(r.stderr, /\nOK/);
    assert.doesNotMatch(r.stderr, /skipped 'needs FIDSTREAM_RATE_LIMITED_URL/);
    console.log(r.stderr.split("\n").filter((l) => / \.\.\. /.test(l)).join("\n"));
  } finally {
    await Promise.all([server.stop(), limited.stop()]);
    for (const d of [dir, limitedDir]) await Deno.remove(d, { recursive: true });
  }
});

/** Reads lines from the child's stdout as they come, collecting them. */
function lineReader(child: Deno.ChildProcess) {
  const lines: string[] = [];
  const done = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let cut;
      while ((cut = buffer.indexOf("\n")) >= 0) {
        lines.push(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 1);
      }
    }
  })();
  return { lines, done };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The kill -9 scenario on one database (env: DATABASE_URL or nothing for PGlite in dataDir). */
async function killDuringPythonUploads(env: Record<string, string>, dataDir: string) {
  const fullEnv = {
    ...env,
    FIDSTREAM_AUTH: "on",
    FIDSTREAM_DATA_DIR: dataDir,
    PORT: String(freePort()),
    FIDSTREAM_FOLD_INTERVAL_MS: "0",
    FIDSTREAM_REQUESTS_PER_MINUTE: "0",
  };
  let server: ServerProcess = await startServerProcess(fullEnv);
  const key = (await readInitialKey(dataDir))!;
  const child = new Deno.Command(PYTHON, {
    args: [`${HERE}kill9_upload.py`],
    cwd: HERE,
    env: { ...clientEnv(server.url, key), PYTHONUNBUFFERED: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const out = lineReader(child);
  try {
    const runId = await until(
      "the run id",
      () => out.lines.length ? JSON.parse(out.lines[0]).run : undefined,
    );
    const n = async () => {
      try {
        const res = await fetch(`${server.url}/v1/runs/${runId}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        return (await res.json()).n as number;
      } catch {
        return 0;
      }
    };
    const killedAt: number[] = [];
    for (const threshold of [300, 1000]) {
      killedAt.push(
        await until(`n >= ${threshold}`, async () => {
          const now = await n();
          return now >= threshold ? now : undefined;
        }),
      );
      assert.equal(out.lines.length, 1, "the loop is still uploading when the server dies");
      await server.stop("SIGKILL");
      server = await startServerProcess(fullEnv);
    }
    const status = await child.status;
    await out.done;
    assert.equal(status.code, 0, `${out.lines.join("\n")}\n${await stderr}`);
    const result = JSON.parse(out.lines.at(-1)!);
    assert.ok(
      killedAt.every((k) => k < result.sent),
      `killed at n = ${killedAt} of ${result.sent}: mid-upload`,
    );
    assert.equal(result.final.n, result.sent, "every batch counted exactly once");
    const fid = result.final.fid as number;
    assert.ok(
      Math.abs(fid - result.offline_fid) <= 1e-6 * Math.max(1, result.offline_fid),
      `${fid} vs ${result.offline_fid}`,
    );
    assert.equal(result.last_event.event, "final", "the watcher reconnected and saw the end");
    assert.equal(result.last_event.n, result.sent);
    const stored =
      await (await fetch(`${server.url}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${key}` } }))
        .json();
    assert.equal(stored.n, result.sent);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await server.stop();
  }
}

pythonTest(
  "[pglite] kill -9 of the server mid-upload: the Python client's retries give the exact final n",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fidstream-py-kill9-" });
    try {
      await killDuringPythonUploads({}, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

pythonTest(
  testPostgresUrl
    ? "[postgres] kill -9 of the server mid-upload: the Python client's retries give the exact final n"
    : "[postgres] kill -9 of the server mid-upload (SKIPPED: no PostgreSQL server)",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fidstream-py-kill9-pg-" });
    try {
      await killDuringPythonUploads({ DATABASE_URL: await freshPostgresDatabase() }, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
  { ignore: !testPostgresUrl },
);
