/**
 * The dashboard's browser bundle (app.js + app.css), built from dashboard/app.tsx with `deno bundle` the first
 * time it is asked for and then kept in memory, so `deno task start` on a fresh clone serves it with no build
 * step. Where no subprocess can run (an edge runtime), a prebuilt dashboard/dist/ (`deno task dashboard:build`)
 * is served instead.
 */

const ROOT = new URL("../../", import.meta.url);
const ENTRY = new URL("dashboard/app.tsx", ROOT);
const DIST = new URL("dashboard/dist/", ROOT);

/** One built file: its bytes, gzipped bytes and a content hash for ETag. */
export interface Asset {
  body: Uint8Array;
  gzip: Uint8Array;
  etag: string;
}

/** The built dashboard. */
export interface DashboardAssets {
  js: Asset;
  css: Asset;
  /** How long the build took (0 when read from dist/). */
  buildMs: number;
}

/** Runs `deno bundle` on the dashboard into `outDir` (app.js, app.css); throws with deno's message on failure. */
export async function bundleDashboard(outDir: string, opts: { minify?: boolean } = {}): Promise<void> {
  const args = [
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--config",
    new URL("deno.json", ROOT).pathname,
    "--outdir",
    outDir,
    ...(opts.minify === false ? [] : ["--minify"]),
    ENTRY.pathname,
  ];
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim() || new TextDecoder().decode(out.stdout).trim();
    throw new Error(`deno bundle of the dashboard failed: ${why}`);
  }
}

async function asset(body: Uint8Array): Promise<Asset> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  const etag = `"${Array.from(hash.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("")}"`;
  const gzip = new Uint8Array(
    await new Response(new Blob([body as BlobPart]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  return { body, gzip, etag };
}

/** Builds the dashboard in a temp dir and loads the result. */
export async function buildDashboardAssets(): Promise<DashboardAssets> {
  const t0 = performance.now();
  const dir = await Deno.makeTempDir({ prefix: "fidstream-dashboard-" });
  try {
    await bundleDashboard(dir);
    const [js, css] = await Promise.all([Deno.readFile(`${dir}/app.js`), Deno.readFile(`${dir}/app.css`)]);
    return { js: await asset(js), css: await asset(css), buildMs: performance.now() - t0 };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function distAssets(): Promise<DashboardAssets> {
  const [js, css] = await Promise.all([
    Deno.readFile(new URL("app.js", DIST)),
    Deno.readFile(new URL("app.css", DIST)),
  ]);
  return { js: await asset(js), css: await asset(css), buildMs: 0 };
}

let cached: Promise<DashboardAssets> | null = null;

/** The dashboard assets: built once per process (concurrent callers share the build); a failed build is retried. */
export function dashboardAssets(): Promise<DashboardAssets> {
  cached ??= buildDashboardAssets().catch(async (buildError) => {
    try {
      return await distAssets();
    } catch {
      cached = null;
      throw buildError;
    }
  });
  return cached;
}
