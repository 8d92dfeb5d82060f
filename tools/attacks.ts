/**
 * What one write key could do to a running server, as the hardening tests and bench/attack_bench.ts do it: each
 * attack is bounded in size and time and aimed at a loopback URL only. A Probe meanwhile measures what other
 * clients see (latency of a cheap request) and the server process's memory (VmRSS).
 */
import { encodeNpy } from "../src/tensors/npy.ts";
import { encodeNpz } from "../src/tensors/npz.ts";

/**
 * Latency of GET /v1/openapi.json every `everyMs`, and the server's RSS, while an attack runs. The requests come
 * from a process of their own (tools/probe_client.ts): from the attacker's process they were once delayed by the
 * attacker's own sockets, which is no measure of the server.
 */
export class Probe {
  #timer: ReturnType<typeof setInterval> | undefined;
  #child: Deno.ChildProcess | undefined;
  #reading: Promise<void> | undefined;
  /** Longest probe answer time (a probe still waiting counts as long as it has waited). */
  maxLatencyMs = 0;
  /** Peak resident memory of the server process, in MiB. */
  peakRssMb = 0;
  readonly baselineRssMb: number;

  constructor(private url: string, private pid: number, private everyMs = 50) {
    this.baselineRssMb = rssMb(pid);
    this.peakRssMb = this.baselineRssMb;
  }

  /** Starts probing; resolves once the first probe was answered, so the attack runs under observation. */
  async start(): Promise<this> {
    let live!: () => void;
    const firstAnswer = new Promise<void>((r) => (live = r));
    this.#timer = setInterval(
      () => (this.peakRssMb = Math.max(this.peakRssMb, rssMb(this.pid))),
      this.everyMs,
    );
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        new URL("./probe_client.ts", import.meta.url).pathname,
        `${this.url}/v1/openapi.json`,
        String(this.everyMs),
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#reading = (async () => {
      for await (const line of this.#child!.stdout.pipeThrough(new TextDecoderStream())) {
        for (const item of line.split("\n")) {
          const ms = Number(item.replace("waiting ", ""));
          if (item && Number.isFinite(ms)) this.maxLatencyMs = Math.max(this.maxLatencyMs, ms);
          if (item && !item.startsWith("waiting")) live();
        }
      }
    })();
    await firstAnswer;
    return this;
  }

  /** Stops probing and returns the figures. */
  async stop(): Promise<
    { maxLatencyMs: number; rssGrowthMb: number; peakRssMb: number; baselineRssMb: number }
  > {
    clearInterval(this.#timer);
    try {
      this.#child?.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#child?.status;
    await this.#reading;
    this.peakRssMb = Math.max(this.peakRssMb, rssMb(this.pid));
    return {
      maxLatencyMs: this.maxLatencyMs,
      rssGrowthMb: this.peakRssMb - this.baselineRssMb,
      peakRssMb: this.peakRssMb,
      baselineRssMb: this.baselineRssMb,
    };
  }
}

/** A features reference (20 x 8) and a run against it to aim at; every path is used once, so baselines include it. */
export async function createTarget(url: string): Promise<{ refId: string; runId: string }> {
  const features = Float32Array.from({ length: 160 }, (_, i) => Math.sin(i));
  const ref = await (await fetch(`${url}/v1/references?name=target`, {
    method: "POST",
    headers: { "content-type": "application/x-npy" },
    body: encodeNpy({ dtype: "float32", shape: [20, 8], data: features }) as BodyInit,
  })).json();
  const run = await (await fetch(`${url}/v1/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "target", reference: ref.id }),
  })).json();
  await deepConfig(url, ref.id, 3, 1);
  await manyParts(url, run.id, 10);
  return { refId: ref.id, runId: run.id };
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMb(pid: number): number {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0; // the process is gone
  }
}

/** Status and error code of an answer. */
async function outcome(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return `${res.status} ${JSON.parse(text).error?.code ?? ""}`.trim();
  } catch {
    return `${res.status} (not JSON: ${text.slice(0, 40)})`;
  }
}

/** Item 1: POST /v1/runs with `config` nested `depth` levels deep, `times` times in a row. */
export async function deepConfig(
  url: string,
  reference: string,
  depth: number,
  times: number,
): Promise<string[]> {
  const config = `{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`;
  const out: string[] = [];
  for (let i = 0; i < times; i++) {
    const res = await fetch(`${url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"name":"deep","reference":"${reference}","config":${config}}`,
      signal: AbortSignal.timeout(60_000),
    });
    out.push(await outcome(res));
  }
  return out;
}

/** Item 2: a multipart batch of `parts` empty file parts (about 60 bytes each). */
export async function manyParts(url: string, runId: string, parts: number): Promise<string> {
  const boundary = "attackboundary";
  const part = new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n\r\n`,
  );
  const body = new Uint8Array(part.length * parts + boundary.length + 6);
  for (let i = 0; i < parts; i++) body.set(part, i * part.length);
  body.set(new TextEncoder().encode(`--${boundary}--\r\n`), part.length * parts);
  const res = await fetch(`${url}/v1/runs/${runId}/batches`, {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    body,
    signal: AbortSignal.timeout(300_000),
  }).catch((e) => e as Error);
  return res instanceof Response ? await outcome(res) : `connection closed (${res.message.slice(0, 60)})`;
}

/**
 * Item 3: `connections` requests that claim a Content-Length of `claimed` bytes and send 6 of them, each held
 * open until the server answers or `holdMs` pass. Returns the status lines the server sent ("open" for none).
 */
export async function claimedBodies(
  url: string,
  runId: string,
  connections: number,
  claimed: number,
  holdMs: number,
): Promise<string[]> {
  const { hostname, port } = new URL(url);
  const head = `POST /v1/runs/${runId}/batches HTTP/1.1\r\nHost: ${hostname}\r\n` +
    `Content-Type: application/x-npy\r\nContent-Length: ${claimed}\r\n\r\nabcdef`;
  const conns = await Promise.all(
    Array.from({ length: connections }, async () => {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      await conn.write(new TextEncoder().encode(head));
      return conn;
    }),
  );
  return await Promise.all(conns.map(async (conn) => {
    const buf = new Uint8Array(4096);
    const read = await Promise.race([
      conn.read(buf).catch(() => null),
      new Promise<"open">((r) => setTimeout(() => r("open"), holdMs)),
    ]);
    conn.close();
    if (read === "open") return "open";
    if (read === null) return "closed";
    const line = new TextDecoder().decode(buf.subarray(0, read)).split("\r\n")[0];
    const code = /"code":"([a-z_]+)"/.exec(new TextDecoder().decode(buf.subarray(0, read)))?.[1] ?? "";
    return `${line.split(" ")[1]} ${code}`.trim();
  }));
}

/** Half-sent request heads on `connections` sockets; how many the server closed within `waitMs`. */
export async function slowHeaders(url: string, connections: number, waitMs: number): Promise<number> {
  const { hostname, port } = new URL(url);
  const conns = await Promise.all(
    Array.from({ length: connections }, async () => {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      await conn.write(
        new TextEncoder().encode(`GET /v1/openapi.json HTTP/1.1\r\nHost: ${hostname}\r\nX-A: `),
      );
      return conn;
    }),
  );
  const closed = await Promise.all(conns.map(async (conn) => {
    const buf = new Uint8Array(4096);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      const r = await Promise.race([
        conn.read(buf).catch(() => null),
        new Promise<"open">((res) => setTimeout(() => res("open"), deadline - Date.now())),
      ]);
      if (r === "open") break;
      if (r === null) return true;
    }
    return false;
  }));
  for (const c of conns) {
    try {
      c.close();
    } catch { /* closed by the server */ }
  }
  return closed.filter(Boolean).length;
}

/** A deflated statistics .npz of dimension dim (identity sigma, float32): a few hundred KB that inflate to dim^2 * 4. */
export function statsNpz(dim: number): Uint8Array {
  const sigma = new Float32Array(dim * dim);
  for (let i = 0; i < dim; i++) sigma[i * dim + i] = 1;
  return encodeNpz({
    mu: { dtype: "float32", shape: [dim], data: new Float32Array(dim) },
    sigma: { dtype: "float32", shape: [dim, dim], data: sigma },
  }, { compress: true });
}

/** Item 4: `count` statistics references of dimension dim uploaded at once. */
export async function statsBurst(url: string, count: number, body: Uint8Array): Promise<string[]> {
  return await Promise.all(Array.from({ length: count }, async (_, i) =>
    outcome(
      await fetch(`${url}/v1/references?name=stats-${i}`, {
        method: "POST",
        headers: { "content-type": "application/zip" },
        body: body as BodyInit,
        signal: AbortSignal.timeout(120_000),
      }),
    )));
}
