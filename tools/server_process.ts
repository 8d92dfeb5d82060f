/** A real fidstream server process (`deno run functions/main.ts`) on a free loopback port. */

/** A started server: its base URL and a way to stop it. */
export interface ServerProcess {
  url: string;
  child: Deno.ChildProcess;
  /** Everything it printed on stdout so far. */
  stdout(): string;
  stop(signal?: Deno.Signal): Promise<void>;
}

const MAIN = new URL("../functions/main.ts", import.meta.url).pathname;

/** Starts the service (or another server module, e.g. the GPU host) with env and waits until it listens. */
export async function startServerProcess(
  env: Record<string, string>,
  module: string = MAIN,
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", module],
    env: { PORT: "0", HOST: "127.0.0.1", FIDSTREAM_AUTH: "off", ...env },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = text.match(/listening on (http:\/\/[^ ]+)/);
    if (m) {
      // Keep draining stdout so the child never blocks on a full pipe.
      (async () => {
        for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
      })().catch(() => {});
      return {
        url: m[1],
        child,
        stdout: () => text,
        async stop(signal: Deno.Signal = "SIGTERM") {
          try {
            child.kill(signal);
          } catch { /* already gone */ }
          await child.status;
        },
      };
    }
  }
  child.kill("SIGKILL");
  throw new Error(`server did not start; it printed: ${text}`);
}
