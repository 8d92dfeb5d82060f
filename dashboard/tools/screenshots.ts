/**
 * `deno task screenshots`: starts a server with demo data (a reference, three models x three seeds, one run
 * still streaming) and writes docs/screenshots/runs.png, run.png and compare.png from the system Chromium.
 */
import { CHROMIUM_PATH, hasChromium, launchChromium } from "./browser.ts";
import { createDemoData } from "./demo_data.ts";
import { startLocalServer } from "./local_server.ts";

if (!hasChromium()) {
  console.error(
    `No browser at ${CHROMIUM_PATH}: apt-get install -y --no-install-recommends chromium fonts-liberation`,
  );
  Deno.exit(1);
}
const outDir = new URL("../../docs/screenshots/", import.meta.url);
await Deno.mkdir(outDir, { recursive: true });
const scheme = Deno.args.includes("--dark") ? "dark" : "light";
const suffix = scheme === "dark" ? "-dark" : "";

const server = await startLocalServer();
const browser = await launchChromium();
try {
  console.log("creating demo data…");
  const demo = await createDemoData(server.url);
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: scheme });
  const shot = async (name: string, fullPage = false) => {
    await page.waitForTimeout(400);
    const path = new URL(`${name}${suffix}.png`, outDir).pathname;
    await page.screenshot({ path, fullPage });
    console.log(`wrote ${path}`);
  };

  const vae = demo.runs.find((r) => r.name === "vae seed 2")!;
  const gan = demo.runs.find((r) => r.name === "gan seed 1")!;
  await page.goto(`${server.url}/?runs=${vae.id},${gan.id}`);
  await page.waitForSelector("table.runs-table tbody tr");
  await demo.streaming.more(2);
  await page.waitForTimeout(2200);
  await shot("runs");

  await page.goto(`${server.url}/runs/${vae.id}`);
  await page.waitForSelector(".chart-plot[data-points]:not([data-points='0'])");
  await page.hover(".chart-plot .u-over", { position: { x: 520, y: 120 } });
  await shot("run", true);

  const ids = demo.runs.map((r) => r.id).join(",");
  await page.goto(`${server.url}/compare?runs=${ids}`);
  await page.waitForSelector(".groups-table tbody tr");
  await page.waitForFunction(() =>
    (document.querySelector(".chart-plot") as HTMLElement | null)?.dataset.points !== "0"
  );
  await demo.streaming.more(3);
  await page.waitForTimeout(800);
  await page.hover(".chart-plot .u-over", { position: { x: 300, y: 150 } });
  await shot("compare", true);
} finally {
  await browser.close();
  await server.close();
}
