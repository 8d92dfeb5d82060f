/**
 * Launching the system Chromium for browser tests and screenshots. Never a downloaded browser: playwright-core
 * only drives the Debian package at /usr/bin/chromium (installed by .ci/run when missing).
 */
import { type Browser, chromium } from "playwright-core";

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
