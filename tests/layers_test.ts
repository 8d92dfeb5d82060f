/**
 * The layers a reader sees from the tree hold: the pure core (src/) imports nothing outside itself; the engine
 * (engine/) knows no HTTP (no hono, nothing from functions/); SQL and database drivers live in db/ alone; db/ and
 * the models import neither the engine nor HTTP.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;

/** Source files (.ts, .tsx) under dir, relative to the root. */
async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(ROOT + d)) {
      if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue;
      const path = `${d}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (/\.tsx?$/.test(e.name)) out.push(path);
    }
  };
  await walk(dir);
  return out;
}

/** What a file imports: relative paths resolved against the root, bare specifiers as written. */
async function importsOf(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(ROOT + file);
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+["']([^"']+)["']/g)]
    .concat([...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)])
    .concat([...text.matchAll(/new URL\(\s*["'](\.[^"']+\.tsx?)["']/g)])
    .map((m) => m[1]);
  const dir = file.slice(0, file.lastIndexOf("/") + 1);
  return specs.map((s) => s.startsWith(".") ? new URL(s, `file:///${dir}`).pathname.slice(1) : s);
}

/** Every import of files under `dir` that `bad` flags, as "file -> import". */
async function offending(dir: string, bad: (spec: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  for (const file of await sources(dir)) {
    for (const spec of await importsOf(file)) if (bad(spec)) found.push(`${file} -> ${spec}`);
  }
  return found;
}

const DRIVERS = /^(npm:)?(drizzle-orm|postgres|@electric-sql\/pglite)(\/|@|$)/;
/** The project's top-level folder a resolved import lands in (null for a package). */
const folderOf = (spec: string) =>
  /^(src|functions|engine|db|models|cli|dashboard|tools|tests|bench|clients)\//.exec(spec)?.[1] ?? null;

Deno.test("the pure core (src/) imports nothing outside src/", async () => {
  const out = await offending("src", (s) => folderOf(s) !== null && folderOf(s) !== "src");
  assert(out.length === 0, `src/ reaches outside itself:\n${out.join("\n")}`);
});

Deno.test("the engine (engine/) imports no HTTP: neither hono nor functions/", async () => {
  const out = await offending("engine", (s) => /^(npm:)?hono(\/|@|$)/.test(s) || s.startsWith("functions/"));
  assert(out.length === 0, `the engine depends on HTTP:\n${out.join("\n")}`);
});

Deno.test("database drivers and SQL builders are imported in db/ alone", async () => {
  const out: string[] = [];
  for (const dir of ["src", "engine", "functions", "models", "cli", "dashboard"]) {
    out.push(...await offending(dir, (s) => DRIVERS.test(s)));
  }
  assert(out.length === 0, `a driver outside db/:\n${out.join("\n")}`);
});

Deno.test("db/ and models/ import neither the engine nor HTTP", async () => {
  const up = (s: string) => s.startsWith("engine/") || s.startsWith("functions/");
  const out = [...await offending("db", up), ...await offending("models", up)];
  assert(out.length === 0, `an import upward:\n${out.join("\n")}`);
});

Deno.test("the import scanner sees relative, bare and worker imports (the checks above can fail)", async () => {
  const imports = await importsOf("engine/pipeline/compute.ts");
  assert(imports.includes("engine/pipeline/compute_worker.ts"), imports.join(", "));
  assert(imports.some((s) => s.startsWith("src/")), imports.join(", "));
  const routes = await importsOf("functions/runs/routes.ts");
  assert(routes.includes("hono"), routes.join(", "));
  assert(routes.some((s) => s.startsWith("engine/")), routes.join(", "));
});
