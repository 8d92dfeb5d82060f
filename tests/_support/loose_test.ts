/** Tests whose servers, worker threads or databases outlive one await: Deno's op and resource sanitizers off. */

/** Registers `fn` as a test named `name` without the op and resource sanitizers. */
export function looseTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn });
}
