/**
 * The team dashboard: GET / and the app's other pages (/runs, /runs/:id, /compare, /references) answer with the
 * single-page shell; /app.js and /app.css are the bundle (built on first request, see bundle.ts). The app reads
 * the API from the same origin.
 */
import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { type Asset, dashboardAssets } from "./bundle.ts";

const INDEX = new URL("../../dashboard/index.html", import.meta.url);
let indexHtml: Promise<string> | null = null;

/** The dashboard route group. */
export const dashboard = new Hono<AppEnv>();

/**
 * The dashboard's own code, styles and same-origin API only: no inline script, no framing (clickjacking), no
 * content-type sniffing, and no Referer (image URLs may carry ?access_token). Inline styles stay allowed: the
 * charts and bars set element styles.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Security headers of every dashboard response. */
const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  c.header("X-Frame-Options", "DENY");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
};

const page = async (c: Context<AppEnv>) => {
  // Start building the bundle now, so it is ready (or nearly) when the browser asks for app.js.
  dashboardAssets().catch(() => {});
  indexHtml ??= Deno.readTextFile(INDEX).catch((e) => {
    indexHtml = null;
    throw e;
  });
  c.header("Cache-Control", "no-cache");
  return c.html(await indexHtml);
};

for (const path of ["/", "/runs", "/runs/:id", "/compare", "/references"]) {
  dashboard.get(path, securityHeaders, page);
}

function serveAsset(c: Context<AppEnv>, a: Asset, type: string) {
  c.header("Content-Type", type);
  c.header("Cache-Control", "no-cache");
  c.header("ETag", a.etag);
  c.header("Vary", "Accept-Encoding");
  if (c.req.header("If-None-Match") === a.etag) return c.body(null, 304);
  if (/\bgzip\b/.test(c.req.header("Accept-Encoding") ?? "")) {
    c.header("Content-Encoding", "gzip");
    return c.body(a.gzip as Uint8Array<ArrayBuffer>);
  }
  return c.body(a.body as Uint8Array<ArrayBuffer>);
}

dashboard.get(
  "/app.js",
  securityHeaders,
  async (c) => serveAsset(c, (await dashboardAssets()).js, "text/javascript; charset=utf-8"),
);
dashboard.get(
  "/app.css",
  securityHeaders,
  async (c) => serveAsset(c, (await dashboardAssets()).css, "text/css; charset=utf-8"),
);
