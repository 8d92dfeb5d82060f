/**
 * Launching the system Chromium for browser tests and screenshots. Never a downloaded browser: playwright-core
 * only drives the Debian package at /usr/bin/chromium (installed by .ci/run when missing).
 */
// Pinned here rather than in deno.json's imports: `deno task` installs every imports entry into node_modules
// before any task, so the service's first start would set up a browser driver it never uses.
import { type Browser, chromium } from "npm:playwright-core@1.65.1";

/** Where the browser is expected. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Whether the browser is installed. */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
}

/** Starts headless Chromium with the flags this project's machines need. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}
