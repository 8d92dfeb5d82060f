/**
 * PGlite is one process's database: two processes opening the same data directory corrupt it. The server holds a
 * pid file in the directory while it runs; tools that open the directory directly (the CLI) check it first.
 */
import { ConflictError } from "../src/errors.ts";

const LOCK_FILE = "fidstream.pid";

function alive(pid: number): boolean {
  try {
    return Deno.statSync(`/proc/${pid}`).isDirectory;
  } catch {
    return false;
  }
}

/** Claims dataDir for this process; throws ConflictError when a live process holds it. Returns the release. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await Deno.mkdir(dataDir, { recursive: true });
  const path = `${dataDir}/${LOCK_FILE}`;
  let holder: number | undefined;
  try {
    holder = Number(await Deno.readTextFile(path));
  } catch { /* no lock */ }
  if (holder && holder !== Deno.pid && alive(holder)) {
    throw new ConflictError(
      "data_dir_in_use",
      `the embedded database in ${dataDir} is in use by process ${holder} (the server?): stop it first, ` +
        "or use PostgreSQL (DATABASE_URL), which any number of processes may share",
    );
  }
  await Deno.writeTextFile(path, String(Deno.pid));
  return async () => {
    await Deno.remove(path).catch(() => {});
  };
}
