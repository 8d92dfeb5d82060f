/**
 * A run's config, checked once when the run is created: a JSON object of at most 64 KiB whose metric settings
 * (kid, prdc/diversity, cmmd, fid_infinity) and retain_features parse, so finalize never meets a bad one.
 */
import { InvalidInputError, UnprocessableError } from "../src/errors.ts";
import { cmmdOptions } from "./pipeline/cmmd_options.ts";
import { diversityOptions } from "./pipeline/diversity_options.ts";
import { fidInfinityEnabled } from "./pipeline/fid_infinity_job.ts";
import { kidOptions } from "./pipeline/kid_options.ts";

/** Largest run config, as JSON bytes: settings and a few notes, listed with every run. */
export const MAX_CONFIG_BYTES = 64 * 1024;

/** A checked run config, and whether the run keeps its features (config.retain_features, default true). */
export interface RunConfig {
  config: Record<string, unknown>;
  retainFeatures: boolean;
}

/** Checks a run's config (absent: {}); 400/422 naming the setting that is wrong. */
export function checkRunConfig(raw: unknown): RunConfig {
  const config = raw ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new InvalidInputError("bad_config", "config must be a JSON object");
  }
  const cfg = config as Record<string, unknown>;
  const configBytes = new TextEncoder().encode(JSON.stringify(cfg)).length;
  if (configBytes > MAX_CONFIG_BYTES) {
    throw new UnprocessableError(
      "config_too_large",
      `config is ${configBytes} bytes as JSON; at most ${MAX_CONFIG_BYTES} are stored with a run (keep large ` +
        "artefacts elsewhere and put their paths in config)",
    );
  }
  kidOptions(cfg);
  diversityOptions(cfg);
  cmmdOptions(cfg);
  fidInfinityEnabled(cfg);
  const retain = cfg.retain_features ?? true;
  if (typeof retain !== "boolean") {
    throw new UnprocessableError(
      "bad_retain_features",
      "config.retain_features must be true (keep features) or false",
    );
  }
  return { config: cfg, retainFeatures: retain };
}
