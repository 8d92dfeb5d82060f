/** Command-line argument parsing for the CLI commands: positionals plus typed --flags. */

/** A mistake in how the command was called (exit code 2, usage shown). */
export class UsageError extends Error {}

/** Kinds of flag value. "bool" flags take no value. */
export type FlagKind = "string" | "int" | "bool";

/** Parsed arguments: positionals in order and the flags that were given. */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | number | boolean>;
}

/** Parse `--name value`, `--name=value` and bare `--bool` flags; `--` ends flags. Throws UsageError. */
export function parseArgs(argv: readonly string[], spec: Record<string, FlagKind>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | number | boolean>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown option --${name}`);
    if (flags.has(name)) throw new UsageError(`--${name} given twice`);
    if (kind === "bool") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    if (kind === "int") {
      if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw new UsageError(`--${name} must be an integer, got '${value}'`);
      }
      flags.set(name, Number(value));
    } else flags.set(name, value);
  }
  return { positionals, flags };
}

/** The integer flag `name`, or `fallback`; throws UsageError when below `min`. */
export function intFlag(args: ParsedArgs, name: string, fallback: number, min: number): number {
  const v = (args.flags.get(name) as number | undefined) ?? fallback;
  if (v < min) throw new UsageError(`--${name} must be at least ${min}, got ${v}`);
  return v;
}

/** Exactly `count` positionals (named in `what` for the message), or a UsageError. */
export function expectPositionals(args: ParsedArgs, count: number, what: string): string[] {
  if (args.positionals.length !== count) {
    throw new UsageError(`expected ${what}, got ${args.positionals.length} argument(s)`);
  }
  return args.positionals;
}

/** At least `count` positionals (named in `what` for the message), or a UsageError. */
export function expectAtLeast(args: ParsedArgs, count: number, what: string): string[] {
  if (args.positionals.length < count) throw new UsageError(`expected ${what}`);
  return args.positionals;
}
