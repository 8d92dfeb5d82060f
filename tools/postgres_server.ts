/**
 * A throwaway PostgreSQL server for tests: initdb into a temp dir, start on a free loopback port with
 * trust auth and fsync off, stop and delete everything afterwards.
 *
 * initdb and postgres refuse to run as root, so when this process is root the data dir is handed to the
 * `postgres` system user and the server binaries run as that user (runuser, else su).
 */

/** Options for startPostgres. */
export interface StartPostgresOptions {
  /** Directory holding initdb, pg_ctl and postgres; found automatically when omitted. */
  binDir?: string;
  /** max_connections for the server (tests run several server processes against it). */
  maxConnections?: number;
  /** How long to wait for the server to accept connections, in milliseconds. */
  startTimeoutMs?: number;
  /** Print initdb/pg_ctl output and the server log on failure (always) and on success (when true). */
  verbose?: boolean;
  /**
   * Directory to create the server's temp dir in. Defaults to $FIDSTREAM_TEST_PG_TMPDIR (set by tests/run.ts,
   * which sweeps it with stopAllUnder() afterwards, so servers of a killed test process do not linger),
   * else the system temp dir.
   */
  parentDir?: string;
}

/** A running throwaway server. */
export interface PostgresServer {
  /** Connection URL, e.g. postgres://postgres@127.0.0.1:54321/postgres (trust auth, no password). */
  url: string;
  /** Loopback TCP port the server listens on. */
  port: number;
  /** Temp directory holding the data dir, socket and log; removed by stop(). */
  dir: string;
  /** Stop the server immediately and remove its directory; safe to call twice. */
  stop(): Promise<void>;
  /**
   * Stop the server (pg_ctl stop -m fast, or "immediate": a crash that needs WAL recovery), run `whileDown`,
   * then start it again on the same data dir and port, waiting until it accepts connections.
   */
  restart(opts?: RestartOptions): Promise<void>;
}

/** Options for PostgresServer.restart. */
export interface RestartOptions {
  /** pg_ctl stop mode: "fast" (clean) or "immediate" (as after a crash). Default "fast". */
  mode?: "fast" | "immediate";
  /** Runs while the server is down (e.g. to watch clients fail); the server starts again once it resolves. */
  whileDown?: () => Promise<void>;
}

/** Env var naming the directory where startPostgres puts its temp dirs (see StartPostgresOptions.parentDir). */
export const PARENT_DIR_ENV = "FIDSTREAM_TEST_PG_TMPDIR";

const REQUIRED_BINARIES = ["initdb", "pg_ctl", "postgres"];

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function hasServerBinaries(dir: string): boolean {
  return REQUIRED_BINARIES.every((name) => isFile(`${dir}/${name}`));
}

/** Directory with PostgreSQL server binaries (newest /usr/lib/postgresql/N/bin, else PATH), or null. */
export function findPostgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  const versions: number[] = [];
  try {
    for (const entry of Deno.readDirSync(root)) {
      const v = Number(entry.name);
      if (entry.isDirectory && Number.isFinite(v)) versions.push(v);
    }
  } catch {
    // No Debian-style install; fall through to PATH.
  }
  versions.sort((a, b) => b - a);
  for (const v of versions) {
    const dir = `${root}/${v}/bin`;
    if (hasServerBinaries(dir)) return dir;
  }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && hasServerBinaries(dir)) return dir;
  }
  return null;
}

function isRoot(): boolean {
  return Deno.uid() === 0;
}

function findOnPath(name: string, extra: string[] = []): string | null {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), ...extra];
  for (const dir of dirs) {
    if (dir && isFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return null;
}

/** Quote one argument for /bin/sh. */
function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

interface CommandResult {
  code: number;
  output: string;
}

/** Run a server binary, as the `postgres` user when we are root. Output is captured, never inherited. */
async function runPg(argv: string[]): Promise<CommandResult> {
  let cmd: string;
  let args: string[];
  if (!isRoot()) {
    [cmd, ...args] = argv;
  } else {
    const runuser = findOnPath("runuser", ["/usr/sbin", "/sbin"]);
    if (runuser) {
      cmd = runuser;
      args = ["-u", "postgres", "--", ...argv];
    } else {
      cmd = findOnPath("su", ["/usr/bin", "/bin"]) ?? "su";
      args = ["postgres", "-s", "/bin/sh", "-c", argv.map(shQuote).join(" ")];
    }
  }
  // stdin null: pg_ctl's postmaster must not hold any of our pipes open, and CI has no stdin.
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** Uid and gid of the `postgres` system user (needed to hand it the temp dir when we are root). */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => {
    const out = await new Deno.Command("id", { args: [flag, "postgres"], stdout: "piped", stderr: "piped" })
      .output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    if (!out.success || !Number.isInteger(n)) {
      throw new Error("running as root but there is no `postgres` system user to run initdb as");
    }
    return n;
  };
  return { uid: await id("-u"), gid: await id("-g") };
}

/** A loopback port nobody listens on right now (the OS picks it when we bind port 0). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** pg_ctl start, waiting up to timeoutMs for the server to accept connections. */
function pgCtlStart(binDir: string, dataDir: string, logFile: string, timeoutMs: number) {
  return runPg([
    `${binDir}/pg_ctl`,
    "start",
    "-D",
    dataDir,
    "-l",
    logFile,
    "-w",
    "-t",
    String(Math.ceil(timeoutMs / 1000)),
  ]);
}

/** Waits until the port accepts TCP connections; throws `message` after timeoutMs. */
async function waitForPort(port: number, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether something accepts TCP connections on the loopback port. */
export async function canConnect(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

async function readLog(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "(no server log)";
  }
}

/** Start a throwaway PostgreSQL on loopback; null when the server binaries are absent. */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer | null> {
  const binDir = opts.binDir ?? findPostgresBinDir();
  if (!binDir || !hasServerBinaries(binDir)) return null;
  const maxConnections = opts.maxConnections ?? 200;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;

  const parentDir = opts.parentDir ?? (Deno.env.get(PARENT_DIR_ENV) || undefined);
  const dir = await Deno.makeTempDir({ prefix: "fidstream-pg-", dir: parentDir });
  const dataDir = `${dir}/data`;
  const logFile = `${dir}/server.log`;
  let started = false;

  const cleanup = async () => {
    if (started) {
      await runPg([`${binDir}/pg_ctl`, "stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "30"]);
      started = false;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  try {
    if (isRoot()) {
      const { uid, gid } = await postgresUser();
      await Deno.chown(dir, uid, gid);
    }
    const init = await runPg([
      `${binDir}/initdb`,
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "--encoding=UTF8",
      "--no-locale",
      "--no-sync", // throwaway data: skip the fsync of every new file
    ]);
    if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}):\n${init.output}`);

    // The OS may hand the port to someone else between our probe and the server's bind: retry a few times.
    let lastError = "";
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = freePort();
      // Settings go in postgresql.auto.conf (last one read wins), rewritten per attempt.
      const conf = [
        `listen_addresses = '127.0.0.1'`,
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        `max_connections = ${maxConnections}`,
        `fsync = off`,
        `synchronous_commit = off`,
        `full_page_writes = off`,
        `log_min_messages = warning`,
        "",
      ].join("\n");
      // initdb created this file as the server user; overwriting it in place keeps that ownership.
      await Deno.writeTextFile(`${dataDir}/postgresql.auto.conf`, conf);

      const start = await pgCtlStart(binDir, dataDir, logFile, startTimeoutMs);
      if (start.code === 0) {
        started = true;
        // pg_ctl -w already waited for readiness; confirm the TCP listener itself, bounded.
        await waitForPort(
          port,
          startTimeoutMs,
          `PostgreSQL started but port ${port} does not accept connections`,
        );
        if (opts.verbose) console.error(init.output + start.output + (await readLog(logFile)));
        let stopped: Promise<void> | null = null;
        const restart = async (ropts: RestartOptions = {}) => {
          if (stopped) throw new Error("this PostgreSQL server was stopped for good");
          const down = await runPg([
            `${binDir}/pg_ctl`,
            "stop",
            "-D",
            dataDir,
            "-m",
            ropts.mode ?? "fast",
            "-w",
            "-t",
            "30",
          ]);
          if (down.code !== 0) throw new Error(`pg_ctl stop failed (exit ${down.code}):\n${down.output}`);
          started = false;
          await ropts.whileDown?.();
          // postgresql.auto.conf still names the same port, so clients reconnect to the same URL.
          const up = await pgCtlStart(binDir, dataDir, logFile, startTimeoutMs);
          if (up.code !== 0) {
            throw new Error(
              `pg_ctl start failed (exit ${up.code}):\n${up.output}\n${await readLog(logFile)}`,
            );
          }
          started = true;
          await waitForPort(port, startTimeoutMs, `PostgreSQL restarted but port ${port} is closed`);
        };
        return {
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          port,
          dir,
          stop: () => (stopped ??= cleanup()),
          restart,
        };
      }
      lastError = `pg_ctl start failed (exit ${start.code}) on port ${port}:\n${start.output}\n` +
        `server log:\n${await readLog(logFile)}`;
      // If the postmaster is half up (it timed out), make sure it is down before the next attempt.
      await runPg([`${binDir}/pg_ctl`, "stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "10"]);
    }
    throw new Error(lastError);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Stop every server whose temp dir lies directly under parentDir and remove those dirs (crash cleanup). */
export async function stopAllUnder(parentDir: string): Promise<void> {
  const binDir = findPostgresBinDir();
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parentDir));
  } catch {
    return; // nothing was ever started there
  }
  await Promise.all(
    entries.filter((e) => e.isDirectory && e.name.startsWith("fidstream-pg-")).map(async (e) => {
      const dataDir = `${parentDir}/${e.name}/data`;
      if (binDir && isFile(`${dataDir}/postmaster.pid`)) {
        await runPg([`${binDir}/pg_ctl`, "stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "30"]);
      }
      await Deno.remove(`${parentDir}/${e.name}`, { recursive: true }).catch(() => {});
    }),
  );
}
