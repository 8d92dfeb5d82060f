/** One integer setting of a run's config object, checked against its range (a 422 naming it otherwise). */
import { UnprocessableError } from "../../src/errors.ts";

/** A reader of config.<metric>.<name> integers: the fallback when absent, else an integer in [min, max]. */
export function configInt(metric: string, o: Record<string, unknown>) {
  return (name: string, fallback: number, min: number, max: number): number => {
    const x = o[name] ?? fallback;
    if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > max) {
      throw new UnprocessableError(
        `bad_${metric}_config`,
        `config.${metric}.${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(x)}`,
      );
    }
    return x;
  };
}
