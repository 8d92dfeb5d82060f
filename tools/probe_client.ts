/**
 * A client apart from the attack: `deno run --allow-net tools/probe_client.ts URL EVERY_MS` requests URL every
 * EVERY_MS and prints each wait in milliseconds on its own line (a request still waiting is printed as it waits,
 * every EVERY_MS, prefixed "waiting "). Run as its own process so the attacker's process cannot delay it.
 */
const [url, everyArg] = Deno.args;
const every = Number(everyArg ?? 50);
const out = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
while (true) {
  const started = performance.now();
  const watch = setInterval(() => out(`waiting ${(performance.now() - started).toFixed(1)}`), every);
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(60_000) })).arrayBuffer();
  } catch { /* counted as the time it took */ }
  clearInterval(watch);
  out((performance.now() - started).toFixed(1));
  await new Promise((r) => setTimeout(r, every));
}
