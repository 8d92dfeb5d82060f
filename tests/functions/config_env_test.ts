/**
 * One configuration: the environment is read in functions/config.ts alone (entry points hand it their accessor),
 * and every variable read there is in README.md's configuration table, so a user can find every knob.
 */
import assert from "node:assert/strict";
import { configFromEnv } from "../../functions/config.ts";

const ROOT = new URL("../../", import.meta.url);

/** Files that may touch Deno.env, and why. */
const ALLOWED: Record<string, string> = {
  "functions/config.ts": "the one reader of the configuration",
  "functions/gpu_host/main.ts": "an entry point: hands Deno.env.get to configFromEnv",
  "cli/main.ts": "an entry point: hands Deno.env.get to configFromEnv",
  "models/runtime/quiet_gpu_probe.ts": "sets the Vulkan driver's WAYLAND_DISPLAY (not a setting of ours)",
};

/** Product source files (what ships; tests, benchmarks and tools may set up environments as they like). */
async function productFiles(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}${e.name}`;
      if (e.isDirectory) {
        if (e.name !== "node_modules" && e.name !== "tools") await walk(`${path}/`);
      } else if (/\.(ts|tsx)$/.test(e.name)) out.push(path);
    }
  };
  for (const dir of ["functions/", "engine/", "db/", "src/", "models/", "cli/", "dashboard/"]) {
    await walk(dir);
  }
  return out;
}

Deno.test("only functions/config.ts (and entry points handing it Deno.env) read the environment", async () => {
  const offenders: string[] = [];
  for (const file of await productFiles()) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    if (/Deno\.env\b|process\.env\b/.test(text) && !(file in ALLOWED)) offenders.push(file);
  }
  assert.deepEqual(offenders, [], "read the setting in functions/config.ts and pass it down");
});

Deno.test("every variable the configuration reads is in README.md's configuration table", async () => {
  // Which names configFromEnv asks for: run it with an accessor that records them.
  const asked = new Set<string>();
  configFromEnv((name) => (asked.add(name), undefined));
  assert.ok(asked.size > 20, `only ${asked.size} names read`);
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const section = readme.slice(
    readme.indexOf("\n## Configuration"),
    readme.indexOf("\n## ", readme.indexOf("\n## Configuration") + 5),
  );
  const listed = new Set([...section.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
  const missing = [...asked].filter((name) => !listed.has(name));
  assert.deepEqual(missing, [], "document these in README.md's configuration table");
});
