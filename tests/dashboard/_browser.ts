/// <reference lib="dom" />
/**
 * Browser tests: a real fidstream server in this process (in-memory PGlite, every function including the
 * dashboard), the system Chromium driven by playwright-core, and small helpers that feed the server through its
 * public HTTP API. Without /usr/bin/chromium the tests are registered as ignored, with the reason in their names.
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";
import type { Browser, Page } from "npm:playwright-core@1.65.1";
import { CHROMIUM_PATH, hasChromium, launchChromium } from "../../dashboard/tools/browser.ts";
import { type LocalServer, startLocalServer } from "../../dashboard/tools/local_server.ts";
import type { ServiceConfig } from "../../functions/deps.ts";
import type { AppEnv } from "../../functions/env.ts";
import { npyOf, randomFeatures } from "../../tools/arrays.ts";

/** What each step of a browser suite gets: the shared server and browser, and a fresh page. */
export interface BrowserStep {
  server: LocalServer;
  browser: Browser;
  page: Page;
}

/** A suite's context: `step` runs one named scenario on a fresh page (and fails it on any page error). */
export interface BrowserSuite {
  server: LocalServer;
  step(name: string, fn: (s: BrowserStep) => Promise<void>): Promise<void>;
}

const available = hasChromium();

/**
 * Registers one test whose steps share a server and a browser (opening an embedded database takes seconds on
 * these machines, so a file pays for it once). Ignored, saying why, when Chromium is missing.
 */
export function browserSuite(
  name: string,
  fn: (suite: BrowserSuite) => Promise<void>,
  opts: {
    extra?: (app: Hono<AppEnv>) => void;
    viewport?: { width: number; height: number };
    config?: Partial<ServiceConfig>;
  } = {},
) {
  Deno.test({
    name: available ? name : `${name} (SKIPPED: no browser at ${CHROMIUM_PATH}; .ci/run installs chromium)`,
    ignore: !available,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const server = await startLocalServer({ extra: opts.extra, config: opts.config });
      const browser = await launchChromium();
      try {
        await fn({
          server,
          step: async (stepName, body) => {
            // A failed step fails the test; the other steps still run (they use their own runs).
            await t.step(stepName, async () => {
              const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
              page.setDefaultTimeout(10_000);
              const pageErrors: Error[] = [];
              page.on("pageerror", (e) => pageErrors.push(e));
              // The dashboard is served with a Content-Security-Policy: anything it blocks is a bug in one or the other.
              const cspViolations: string[] = [];
              page.on("console", (m) => {
                if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
              });
              try {
                await body({ server, browser, page });
                assert.deepEqual(pageErrors.map((e) => e.message), [], "no uncaught error in the page");
                assert.deepEqual(cspViolations, [], "nothing the page does violates its CSP");
              } finally {
                await page.close();
              }
            });
          },
        });
      } finally {
        await browser.close();
        await server.close();
      }
    },
  });
}

/** The key the helpers below send (for servers with auth on); null sends none. */
let helperKey: string | null = null;

/** Makes the data helpers authenticate with `key` (null: no key). */
export function useApiKey(key: string | null): void {
  helperKey = key;
}

function auth(): Record<string, string> {
  return helperKey ? { authorization: `Bearer ${helperKey}` } : {};
}

/** Feature dimension of test data. */
export const D = 8;

async function postJsonTo(url: string, body: unknown) {
  const res = await fetch(url, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", ...auth() },
  });
  const json = await res.json();
  assert.ok(res.ok, `${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Registers a features reference of n random rows; returns its id. */
export async function createReference(server: LocalServer, n = 200, seed = 1): Promise<string> {
  const res = await fetch(`${server.url}/v1/references?name=ref-${seed}`, {
    method: "POST",
    body: npyOf(randomFeatures(n, D, seed), n, D) as BodyInit,
    headers: { "content-type": "application/x-npy", ...auth() },
  });
  assert.equal(res.status, 201);
  return (await res.json()).id;
}

/** Creates a run; returns its id. */
export async function createRun(
  server: LocalServer,
  reference: string,
  name: string,
  tags: string[] = [],
  config: Record<string, unknown> = { kid: false },
): Promise<string> {
  return (await postJsonTo(`${server.url}/v1/runs`, { name, reference, tags, config })).id;
}

/** Uploads a batch of n rows (seeded, shifted) and waits until partial metrics cover the run's total. */
export async function streamBatch(
  server: LocalServer,
  run: string,
  n: number,
  seed: number,
  shift = 0.3,
): Promise<number> {
  const res = await fetch(`${server.url}/v1/runs/${run}/batches`, {
    method: "POST",
    body: npyOf(randomFeatures(n, D, seed, shift), n, D) as BodyInit,
    headers: { "content-type": "application/x-npy", "idempotency-key": `batch-${seed}`, ...auth() },
  });
  assert.equal(res.status, 200);
  const total = (await res.json()).n as number;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const r = await (await fetch(`${server.url}/v1/runs/${run}`, { headers: auth() })).json();
    if ((r.latest?.n ?? 0) >= total) return total;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no metrics for n=${total} within 10 s`);
}

/** Finalizes a run and returns its final metrics. */
export async function finalizeRun(server: LocalServer, run: string): Promise<Record<string, unknown>> {
  return await postJsonTo(`${server.url}/v1/runs/${run}/finalize`, {});
}

/** The number of x values the first chart on the page (or the one matching `selector`) is drawing. */
export async function chartPoints(page: Page, selector = ".chart-plot"): Promise<number> {
  return Number(await page.getAttribute(selector, "data-points"));
}

/** Waits until the chart draws more than `than` points. */
export async function waitForPoints(page: Page, than: number, selector = ".chart-plot"): Promise<number> {
  await page.waitForFunction(
    ([sel, n]) =>
      Number(document.querySelector(sel as string)?.getAttribute("data-points") ?? 0) > (n as number),
    [selector, than],
    { timeout: 10_000 },
  );
  return await chartPoints(page, selector);
}

/** The x scale of the chart's uPlot instance. */
export function xScale(page: Page, selector = ".chart-plot"): Promise<{ min: number; max: number }> {
  return page.$eval(selector, (el) => {
    const u = (el as unknown as { uplot: { scales: { x: { min: number; max: number } } } }).uplot;
    return { min: u.scales.x.min, max: u.scales.x.max };
  });
}

/**
 * The chart's x scale once it equals `expected` (the URL can change a frame before the chart redraws), or, after
 * `timeoutMs`, whatever it is then -- so a zoom that never applies still fails the caller's assertion.
 */
export async function settledXScale(
  page: Page,
  expected: { min: number; max: number },
  selector = ".chart-plot",
  timeoutMs = 5000,
): Promise<{ min: number; max: number }> {
  await page.waitForFunction(
    ([sel, e]) => {
      const el = document.querySelector(sel as string) as unknown as {
        uplot?: { scales: { x: { min: number; max: number } } };
      };
      const x = el?.uplot?.scales.x;
      const want = e as { min: number; max: number };
      return x !== undefined && x.min === want.min && x.max === want.max;
    },
    [selector, expected],
    { timeout: timeoutMs },
  ).catch(() => {});
  return await xScale(page, selector);
}

/** The first-render mark (ms since navigation start), once the page has set it. */
export async function firstRenderMs(page: Page): Promise<number> {
  await page.waitForFunction(() => performance.getEntriesByName("fidstream:first-render").length > 0);
  return await page.evaluate(() => performance.getEntriesByName("fidstream:first-render")[0].startTime);
}
