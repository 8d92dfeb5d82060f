/**
 * PGlite is one process's database: two processes opening the same data directory corrupt it. The server holds a
 * pid file in the directory while it runs; tools that open the directory directly (the CLI) check it first.
 *
 * The file records the holder's pid and its start time (from /proc), so a lock left behind by a killed process is
 * taken over at once: its pid is gone, a zombie not yet reaped by its parent, or reused by another process that
 * started later (in a fresh container, pid 1 is always "alive").
 */
import { ConflictError } from "../src/errors.ts";

const LOCK_FILE = "fidstream.pid";

/** State and start time (clock ticks since boot) of a process from /proc/<pid>/stat, or null when it is gone. */
function processStat(pid: number): { state: string; startTime: string } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], startTime: fields[19] };
  } catch {
    return null;
  }
}

/** True when the lock's holder still runs: alive, not a zombie, and the same process that wrote the lock. */
function holderAlive(pid: number, startTime: string | undefined): boolean {
  const stat = processStat(pid);
  if (stat === null) {
    // No /proc (not Linux): fall back to whether the pid exists at all.
    if (Deno.build.os === "linux") return false;
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  }
  if (stat.state === "Z" || stat.state === "X") return false;
  return startTime === undefined || startTime === stat.startTime;
}

/** The lock file's contents for this process: "<pid> <start time>". */
function lockContents(): string {
  const start = processStat(Deno.pid)?.startTime;
  return start ? `${Deno.pid} ${start}` : String(Deno.pid);
}

/** Claims dataDir for this process; throws ConflictError when a live process holds it. Returns the release. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await Deno.mkdir(dataDir, { recursive: true });
  const path = `${dataDir}/${LOCK_FILE}`;
  let holder: number | undefined;
  let holderStart: string | undefined;
  try {
    const [pid, start] = (await Deno.readTextFile(path)).trim().split(/\s+/);
    holder = Number(pid);
    holderStart = start;
  } catch { /* no lock */ }
  if (holder && holder !== Deno.pid && holderAlive(holder, holderStart)) {
    throw new ConflictError(
      "data_dir_in_use",
      `the embedded database in ${dataDir} is in use by process ${holder} (the server?): stop it first, ` +
        "or use PostgreSQL (DATABASE_URL), which any number of processes may share",
    );
  }
  await Deno.writeTextFile(path, lockContents());
  return async () => {
    await Deno.remove(path).catch(() => {});
  };
}
