/**
 * `finalize --server URL --run ID`: closes a run and computes its final metrics on the server, showing each phase
 * as the server announces it (SSE `progress` events: reading features, FID, KID, PRDC, ...), so a finalize of a
 * large run is never a silent wait. The last stdout line holds the final metrics and the time of each phase.
 */
import { parseArgs, UsageError } from "./args.ts";
import { describeError } from "./batch_client.ts";
import { sseEvents } from "./sse_events.ts";
import type { ProcessConfig } from "../functions/config.ts";

/** Usage line of the command. */
export const FINALIZE_USAGE = "finalize --server URL --run ID\n" +
  '      finalize the run, phases on stderr -> {"run","final","phases":[{"phase","seconds"}],"seconds"}';

/** One `progress` event's data (engine/pipeline/finalize_progress.ts). */
interface Progress {
  phase: string;
  elapsed_s: number;
  done: { phase: string; seconds: number }[];
}

/** How long to wait, after the answer, for the progress events still in flight. */
const TRAILING_EVENTS_MS = 2000;

/** Run `finalize` and return its result object; progress lines go to `log` (stderr). */
export async function finalizeCommand(
  argv: string[],
  config: ProcessConfig,
  log: (line: string) => void = (line) => console.error(line),
): Promise<
  {
    run: string;
    final: Record<string, unknown>;
    phases: { phase: string; seconds: number }[];
    seconds: number;
  }
> {
  const args = parseArgs(argv, { server: "string", run: "string" });
  const server = args.flags.get("server") as string | undefined;
  const runId = args.flags.get("run") as string | undefined;
  if (!server) throw new UsageError("--server URL is required");
  if (!runId) throw new UsageError("--run ID is required");
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  let base: URL;
  try {
    base = new URL(server.replace(/\/?$/, "/"));
  } catch {
    throw new UsageError(`--server must be a URL such as http://127.0.0.1:8000, got '${server}'`);
  }
  const apiKey = config.client.apiKey;
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const runPath = `v1/runs/${encodeURIComponent(runId)}`;

  // Watch before asking, so the first phase is not missed.
  const stop = new AbortController();
  const events = await fetch(new URL(`${runPath}/events`, base), { headers, signal: stop.signal });
  if (!events.ok) throw new Error(describeError(events.status, await events.text()));
  let last: Progress | null = null;
  const watching = (async () => {
    try {
      for await (const e of sseEvents(events.body!)) {
        if (e.event === "final") return;
        if (e.event !== "progress") continue;
        const p = JSON.parse(e.data) as Progress;
        const previous = p.done[p.done.length - 1];
        log(
          `finalize: ${p.phase} (at ${p.elapsed_s.toFixed(1)} s)` +
            (previous ? `; ${previous.phase} took ${previous.seconds.toFixed(2)} s` : ""),
        );
        last = p;
      }
    } catch (e) {
      if (!stop.signal.aborted) log(`finalize: progress stream ended: ${e instanceof Error ? e.message : e}`);
    }
  })();

  const t0 = performance.now();
  const res = await fetch(new URL(`${runPath}/finalize`, base), { method: "POST", headers });
  const text = await res.text();
  const seconds = (performance.now() - t0) / 1000;
  if (!res.ok) {
    stop.abort();
    throw new Error(describeError(res.status, text));
  }
  const final = JSON.parse(text) as Record<string, unknown>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([watching, new Promise((r) => (timer = setTimeout(r, TRAILING_EVENTS_MS)))]);
  clearTimeout(timer);
  stop.abort();
  await watching;
  const p = last as Progress | null;
  // The last phase ran until the answer (the server's clock and ours start a few ms apart).
  const phases = p
    ? [...p.done, { phase: p.phase, seconds: Math.max(0, round3(seconds - p.elapsed_s)) }]
    : [];
  if (p) {
    log(
      `finalize: done in ${seconds.toFixed(2)} s (${
        phases.map((q) => `${q.phase} ${q.seconds.toFixed(2)} s`).join(", ")
      })`,
    );
  }
  return { run: runId, final, phases, seconds: round3(seconds) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
