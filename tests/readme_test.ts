/**
 * The README's walkthroughs run as written. Every ```sh and ```python block of README.md (except those marked
 * `<!-- readme-test: skip (why) -->`) runs in order against a real server started as the README says
 * (`deno task start`: auth on, so its first start creates and saves the admin key), in a scratch folder that
 * looks like a clone (the repository's folders linked in, its own .data). The one rewrite: `localhost:8000`
 * becomes the test server's address. Variables a shell block exports reach the blocks after it, as in one
 * terminal. Then what each walkthrough promises is checked: partial FID streaming before the final number,
 * the curl walkthrough's event stream, the key commands, the VAE's generated samples.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { PYTHON, pythonTest } from "./_support/python.ts";
import { startServerProcess } from "../tools/server_process.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SKIP = /<!--\s*readme-test:\s*skip\b/;

/** A fenced block of README.md that the test runs. */
export interface ReadmeBlock {
  lang: "sh" | "python";
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The runnable blocks of a markdown text, in order: sh and python fences not marked to skip. */
export function runnableBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split("\n");
  const blocks: ReadmeBlock[] = [];
  let lastText = "";
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^```(\w*)\s*$/);
    if (!open) {
      if (lines[i].trim() !== "") lastText = lines[i];
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    const lang = open[1];
    if ((lang === "sh" || lang === "python") && !SKIP.test(lastText)) {
      blocks.push({ lang, code: body.join("\n"), line: start + 1 });
    }
    lastText = "";
  }
  return blocks;
}

Deno.test("README blocks: sh and python fences run unless marked skip, in order, with their lines", () => {
  const md = [
    "<!-- readme-test: skip (starts things) -->",
    "",
    "```sh",
    "deno task start",
    "```",
    "text",
    "```sh",
    "echo one",
    "```",
    "```python",
    "print(2)",
    "```",
    "```text",
    "output",
    "```",
  ].join("\n");
  assert.deepEqual(runnableBlocks(md), [
    { lang: "sh", code: "echo one", line: 7 },
    { lang: "python", code: "print(2)", line: 10 },
  ]);
});

/** A folder that looks like a fresh clone: the repository's entries linked in, deno.json copied, no .data. */
async function scratchClone(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fidstream-readme-" });
  for await (const entry of Deno.readDir(ROOT)) {
    if ([".data", ".git", ".scratch", "deno.json", "deno.lock"].includes(entry.name)) continue;
    await Deno.symlink(`${ROOT}${entry.name}`, `${dir}/${entry.name}`);
  }
  // Copied, so tasks run here (a task's folder is its deno.json's) and .data/ is this folder's own.
  for (const f of ["deno.json", "deno.lock"]) await Deno.copyFile(`${ROOT}${f}`, `${dir}/${f}`);
  return dir;
}

/** The environment a reader's shell would have: deno and python3 on PATH, nothing of fidstream's set. */
async function readerEnv(dir: string): Promise<Record<string, string>> {
  const env = Deno.env.toObject();
  for (const k of Object.keys(env)) if (/^(FIDSTREAM_|DATABASE_URL|PYTHONPATH$)/.test(k)) delete env[k];
  const bin = `${dir}/.bin`;
  await Deno.mkdir(bin);
  await Deno.symlink(Deno.execPath(), `${bin}/deno`);
  if (PYTHON !== "python3") await Deno.symlink(PYTHON, `${bin}/python3`);
  env.PATH = `${bin}:${dirname(Deno.execPath())}:${env.PATH ?? ""}`;
  env.NO_COLOR = "1";
  return env;
}

/** Parses `env -0` output. */
function parseEnv(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of new TextDecoder().decode(bytes).split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  for (const k of ["PWD", "OLDPWD", "SHLVL", "_"]) delete out[k];
  return out;
}

interface BlockRun {
  block: ReadmeBlock;
  stdout: string;
  stderr: string;
}

async function runBlock(block: ReadmeBlock, dir: string, env: Record<string, string>, url: string) {
  const code = block.code.replaceAll("localhost:8000", url.replace(/^http:\/\//, ""));
  const file = `${dir}/.readme-block-${block.line}.${block.lang === "sh" ? "sh" : "py"}`;
  const envFile = `${dir}/.readme-env`;
  await Deno.writeTextFile(
    file,
    block.lang === "sh" ? `set -euo pipefail\n${code}\nenv -0 > ${JSON.stringify(envFile)}\n` : code,
  );
  const out = await new Deno.Command(block.lang === "sh" ? "bash" : "python3", {
    args: [file],
    cwd: dir,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(300_000),
  }).output();
  const run = {
    block,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
  assert.equal(
    out.code,
    0,
    `README.md line ${block.line} (${block.lang}) failed:\n${run.stdout}\n${run.stderr}`,
  );
  assert.doesNotMatch(run.stdout, /"error":\{"code"/, `README.md line ${block.line} got an error answer`);
  return { run, env: block.lang === "sh" ? parseEnv(await Deno.readFile(envFile)) : env };
}

pythonTest("the README's shell and Python walkthroughs run as written against a fresh server", async () => {
  const blocks = runnableBlocks(await Deno.readTextFile(`${ROOT}README.md`));
  const dir = await scratchClone();
  const server = await startServerProcess({ FIDSTREAM_AUTH: "on", FIDSTREAM_DATA_DIR: `${dir}/.data` });
  try {
    let env = await readerEnv(dir);
    const runs: BlockRun[] = [];
    for (const block of blocks) {
      const t0 = performance.now();
      const done = await runBlock(block, dir, env, server.url);
      env = done.env;
      runs.push(done.run);
      console.log(
        `README.md line ${block.line} (${block.lang}): ok in ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s`,
      );
    }
    const find = (what: string, pattern: RegExp) => {
      const found = runs.filter((r) => pattern.test(r.block.code));
      assert.equal(found.length, 1, `one README block ${what}`);
      return found[0];
    };
    // The quick start: partial FID printed while samples stream, then the final number, then the summary.
    const stream = find("watches run.events()", /run\.events\(\)/).stdout.trim().split("\n");
    const partial = stream.filter((l) => /^metrics\s+n=\s*\d+\s+FID \d/.test(l));
    assert.ok(partial.length >= 3, `partial FID streamed before the final number:\n${stream.join("\n")}`);
    const finalAt = stream.findIndex((l) => /^final\s+n=\s*3000\s+FID \d/.test(l));
    assert.ok(finalAt > stream.indexOf(partial.at(-1)!), stream.join("\n"));
    assert.match(stream.at(-1)!, /^final FID \d+\.\d+ KID -?\d/);
    console.log(stream.join("\n"));
    // The curl walkthrough: its background event stream saw metrics and the final event; finalize answered.
    const curl = find("finalizes with curl", /\/finalize" -H "\$H"; echo/);
    assert.match(curl.stdout, /"n":1500,"fid":\d/);
    const events = await Deno.readTextFile(`${dir}/events.txt`);
    assert.match(events, /event: metrics\n/);
    assert.match(events, /event: final\n/);
    // Keys while the server runs; the VAE's samples.
    assert.match(
      find("manages keys", /keys revoke/).stdout,
      /"project":"vision","keys":\[\{"id":"[0-9a-f]{12}","scope":"write","revoked":false\}\]/,
    );
    const vae = find("evaluates the VAE", /\/generate/).stdout;
    assert.match(vae, /"generated":2000,/);
    assert.match(vae, /"n":2000,"replayed":false\}/);
    assert.match(vae, /"n":2000,"fid":\d/);
    assert.equal(
      (await Deno.readFile(`${dir}/interpolation.png`)).subarray(1, 4).toString(),
      "80,78,71",
      "a PNG",
    );
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
