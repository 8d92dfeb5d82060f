/**
 * python3 with numpy, which only the Python client's tests need. Where it is missing those tests are skipped with
 * a notice, except under CI (CI or FIDSTREAM_REQUIRE_PYTHON set: .ci/run installs it), where they fail instead.
 * FIDSTREAM_PYTHON names another interpreter.
 */

/** The interpreter the tests run. */
export const PYTHON = Deno.env.get("FIDSTREAM_PYTHON") || "python3";

/** Whether a missing interpreter is a failure rather than a skip. */
export const pythonRequired = Boolean(Deno.env.get("CI") || Deno.env.get("FIDSTREAM_REQUIRE_PYTHON"));

async function whyUnavailable(): Promise<string | null> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", "import numpy, sys; assert sys.version_info >= (3, 8), sys.version"],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (out.success) return null;
    return `${PYTHON} cannot import numpy: ${new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)}`;
  } catch (e) {
    return `${PYTHON} is not runnable (${e instanceof Error ? e.message : e})`;
  }
}

/** Why python3 + numpy cannot run here, or null when they can. */
export const pythonUnavailable: string | null = await whyUnavailable();

if (pythonUnavailable && !pythonRequired) {
  console.warn(`Python client tests skipped: ${pythonUnavailable} (Debian: apt-get install python3-numpy)`);
}

/** Registers a test that needs python3 + numpy: skipped without them, failed without them under CI. */
export function pythonTest(name: string, fn: () => Promise<void>, opts: { ignore?: boolean } = {}): void {
  const skip = pythonUnavailable !== null && !pythonRequired;
  Deno.test({
    name: skip ? `${name} (SKIPPED: no python3 with numpy)` : name,
    ignore: skip || opts.ignore === true,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      if (pythonUnavailable) throw new Error(`python3 with numpy is required under CI: ${pythonUnavailable}`);
      await fn();
    },
  });
}

/** Runs PYTHON with args, returning its exit code and output (both streams, as text). */
export async function runPython(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(PYTHON, {
    args,
    cwd: opts.cwd,
    env: { PYTHONUNBUFFERED: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}
