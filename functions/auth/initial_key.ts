/**
 * The first start's admin key on disk: `initial-admin-key` in the data dir (FIDSTREAM_DATA_DIR, ./.data by
 * default), readable by its owner only. The server prints the key once and leaves it here, so the first upload
 * needs no second step; with PostgreSQL it is the data dir of the server that created it.
 */
import { writePrivateFile } from "./private_file.ts";

/** The file's name in the data dir. */
export const INITIAL_KEY_FILE = "initial-admin-key";

/** Where the first admin key is kept under dataDir. */
export function initialKeyPath(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "")}/${INITIAL_KEY_FILE}`;
}

/** Writes the key (and a newline) to dataDir's initial-admin-key with mode 0600, replacing an older one. */
export async function saveInitialKey(dataDir: string, key: string): Promise<string> {
  await Deno.mkdir(dataDir, { recursive: true });
  const path = initialKeyPath(dataDir);
  await writePrivateFile(path, `${key}\n`);
  return path;
}

/** The key saved under dataDir, or undefined when there is none. */
export async function readInitialKey(dataDir: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(initialKeyPath(dataDir))).trim() || undefined;
  } catch {
    return undefined;
  }
}
