/**
 * `deno task bench [name ...]`: runs bench/<name>_bench.ts for each name (all of them when none is given), one
 * after another in separate processes so they do not disturb each other's numbers. Extra flags after `--` are
 * passed to every bench.
 */
const dir = new URL(".", import.meta.url).pathname;
const all = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith("_bench.ts")).sort();
const split = Deno.args.indexOf("--");
const names = split < 0 ? Deno.args : Deno.args.slice(0, split);
const extra = split < 0 ? [] : Deno.args.slice(split + 1);
const chosen = names.length === 0 ? all : names.map((n) => `${n.replace(/_bench(\.ts)?$/, "")}_bench.ts`);
for (const file of chosen) {
  if (!all.includes(file)) {
    console.error(`no bench ${file}; available: ${all.map((n) => n.replace("_bench.ts", "")).join(", ")}`);
    Deno.exit(2);
  }
}
for (const file of chosen) {
  console.log(`\n=== ${file}`);
  const { code } = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", `${dir}${file}`, ...extra] })
    .spawn()
    .status;
  if (code !== 0) Deno.exit(code);
}
