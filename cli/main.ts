/**
 * fidstream command line: `deno task cli <command> ...`.
 * The last stdout line of every command is one JSON object. Errors go to stderr with exit code 1
 * (2 for usage errors).
 */

import { FidstreamError } from "../src/errors.ts";
import { UsageError } from "./args.ts";
import { FEATURES_USAGE, featuresCommand } from "./features.ts";
import { FID_USAGE, fidCommand } from "./fid.ts";
import { FINALIZE_USAGE, finalizeCommand } from "./finalize.ts";
import { IS_USAGE, isCommand } from "./is.ts";
import { KEYS_USAGE, keysCommand } from "./keys.ts";
import { KID_USAGE, kidCommand } from "./kid.ts";
import { STATS_USAGE, statsCommand } from "./stats.ts";
import { UPLOAD_USAGE, uploadCommand } from "./upload.ts";
import { configFromEnv, type ProcessConfig } from "../functions/config.ts";

const COMMANDS: Record<string, [(argv: string[], config: ProcessConfig) => Promise<object>, string]> = {
  fid: [fidCommand, FID_USAGE],
  kid: [kidCommand, KID_USAGE],
  is: [isCommand, IS_USAGE],
  stats: [statsCommand, STATS_USAGE],
  upload: [uploadCommand, UPLOAD_USAGE],
  finalize: [(argv, config) => finalizeCommand(argv, config), FINALIZE_USAGE],
  keys: [keysCommand, KEYS_USAGE],
  features: [featuresCommand, FEATURES_USAGE],
};

/** The full usage text. */
export function usage(): string {
  const lines = Object.values(COMMANDS).map(([, u]) => `  ${u}`);
  return ["usage: deno task cli <command> [args]", "", "commands:", ...lines, ""].join("\n");
}

/**
 * The CLI's configuration, read once from the environment. The CLI serves nothing, so FIDSTREAM_AUTH (and the
 * loopback rule that comes with it) is not its concern.
 */
export function cliConfig(env: (name: string) => string | undefined = (n) => Deno.env.get(n)): ProcessConfig {
  return configFromEnv((n) => n === "FIDSTREAM_AUTH" ? "on" : env(n));
}

/** Run the CLI with `argv`; returns the process exit code. Output goes to stdout/stderr. */
export async function main(argv: string[], config: ProcessConfig = cliConfig()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.error(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`error: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  // Help before any parsing, so `upload --help` never reads as an unknown option.
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`usage: deno task cli ${command[1]}`);
    return 0;
  }
  try {
    const result = await command[0](rest, config);
    console.log(JSON.stringify(result));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\nusage: deno task cli ${command[1]}`);
      return 2;
    }
    if (e instanceof FidstreamError) console.error(`error: ${e.message} (${e.code})`);
    else console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
