/**
 * A "generate and evaluate" request: n prior samples (seeded) decoded and turned into features of a feature
 * space, stored as the run's batches in chunks whose idempotency keys derive from the request, so a retry
 * (even of a request cut off half way) replays what is stored and never counts a sample twice.
 */

import { InvalidInputError } from "../errors.ts";

/** A validated generate request. */
export interface GenerateSpec {
  n: number;
  seed: number;
  /** Feature space asked for ("mnist-lenet", "fid-inception:2048"); the run's reference usually says. */
  features?: string;
  /** Samples per stored batch (default 500). */
  chunk: number;
}

/** Most samples one request generates. */
export const MAX_GENERATE = 100_000;

const KEYS = ["n", "seed", "features", "chunk"];

function int(
  raw: Record<string, unknown>,
  key: string,
  dflt: number | undefined,
  lo: number,
  hi: number,
): number {
  const v = raw[key] ?? dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidInputError("generate_bad_parameter", `${key} must be an integer from ${lo} to ${hi}`);
  }
  return v;
}

function name(raw: Record<string, unknown>, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^[A-Za-z0-9._:-]{1,100}$/.test(v)) {
    throw new InvalidInputError(
      "generate_bad_parameter",
      `${key} must be a feature space name like "mnist-lenet"`,
    );
  }
  return v;
}

/** Validates a generate request body; unknown keys are a 400. */
export function parseGenerateSpec(raw: Record<string, unknown>): GenerateSpec {
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) {
      throw new InvalidInputError(
        "generate_bad_parameter",
        `unknown key '${key}'; known: ${KEYS.join(", ")}`,
      );
    }
  }
  return {
    n: int(raw, "n", undefined, 1, MAX_GENERATE),
    seed: int(raw, "seed", 0, 0, 0xffffffff),
    features: name(raw, "features"),
    chunk: int(raw, "chunk", 500, 1, 5000),
  };
}

/** Row ranges [start, end) of the request's chunks. */
export function generateChunks(spec: GenerateSpec): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < spec.n; start += spec.chunk) {
    out.push([start, Math.min(spec.n, start + spec.chunk)]);
  }
  return out;
}

/** Idempotency key of chunk c: "generate:<seed>:<n>:<c>" plus what else makes the samples what they are. */
export function generateChunkKey(
  spec: GenerateSpec,
  c: number,
  space: string,
  decoderSha256: string,
): string {
  return `generate:${spec.seed}:${spec.n}:${c}:${spec.chunk}:${space}:${decoderSha256.slice(0, 16)}`;
}

/** What chunk c's digest covers (the full decoder digest): same text, same samples. */
export function generateChunkDescriptor(
  spec: GenerateSpec,
  c: number,
  space: string,
  decoderSha256: string,
): string {
  return `fidstream-generate-v1 decoder=${decoderSha256} space=${space} seed=${spec.seed} n=${spec.n} ` +
    `chunk=${spec.chunk} index=${c}`;
}
