/**
 * `deno task dashboard:build`: writes the browser bundle to dashboard/dist/ (app.js, app.css, index.html) and
 * prints its size. The server does not need this (it builds on first request); it is for hosting the
 * dashboard elsewhere, for edge deployments that cannot spawn `deno bundle`, and for checking the bundle size.
 */
import { bundleDashboard } from "../functions/dashboard/bundle.ts";

const dist = new URL("./dist/", import.meta.url);
await Deno.mkdir(dist, { recursive: true });
const t0 = performance.now();
await bundleDashboard(dist.pathname);
await Deno.copyFile(new URL("./index.html", import.meta.url), new URL("index.html", dist));
for (const name of ["app.js", "app.css"]) {
  const bytes = await Deno.readFile(new URL(name, dist));
  const gz = await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")))
    .arrayBuffer();
  console.log(`dashboard/dist/${name}: ${bytes.length} bytes, ${gz.byteLength} gzipped`);
}
console.log(`built in ${(performance.now() - t0).toFixed(0)} ms`);
