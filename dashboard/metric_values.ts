/**
 * Which keys of a metrics object are chartable metrics, and their values. The service adds keys over time (fid
 * now; kid, is, recon_bce, recon_mse, kl later), so the dashboard charts every numeric key it finds instead of a
 * fixed list.
 */

/** Keys that describe a point rather than measure the model: never charted. */
const NOT_METRICS = new Set(["n", "at", "kind", "samples", "dim", "subsets", "subset_size", "seed"]);

/** Whether `key` of a metrics object is a metric (sample counts like recon_n are not). */
export function isMetricKey(key: string): boolean {
  return !NOT_METRICS.has(key) && !key.endsWith("_n");
}

/**
 * A metric's number in a metrics object: plain numbers, the `mean` of {mean, std} objects (final KID), or the
 * `value` of {value, ...} objects (FID-infinity: {value, slope, points}).
 */
export function metricValue(point: Record<string, unknown> | null | undefined, key: string): number | null {
  const v = point?.[key];
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const inner = o.mean ?? o.value;
    if (typeof inner === "number" && Number.isFinite(inner)) return inner;
  }
  return null;
}

/** The spread that comes with a metric ({mean, std} objects), if any. */
export function metricStd(point: Record<string, unknown> | null | undefined, key: string): number | null {
  const v = point?.[key];
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const std = (v as Record<string, unknown>).std;
    if (typeof std === "number" && Number.isFinite(std)) return std;
  }
  return null;
}

/** The metric keys of one metrics object, in its own order. */
export function metricKeys(point: Record<string, unknown> | null | undefined): string[] {
  if (!point) return [];
  return Object.keys(point).filter((k) => isMetricKey(k) && metricValue(point, k) !== null);
}

/** PRDC's four numbers, as finalize nests them under `prdc`. */
const PRDC_KEYS = ["precision", "recall", "density", "coverage"] as const;

/**
 * A metrics object with finalize's nested `prdc` object spread into top-level precision, recall, density and
 * coverage (so a table lists them like any metric); everything else unchanged.
 */
export function withPrdcFlattened<T extends Record<string, unknown>>(point: T): T {
  const prdc = point.prdc;
  if (!prdc || typeof prdc !== "object" || Array.isArray(prdc)) return point;
  const { prdc: _, ...rest } = point;
  const flat: Record<string, unknown> = rest;
  const nested = prdc as Record<string, unknown>;
  for (const k of PRDC_KEYS) if (typeof nested[k] === "number") flat[k] = nested[k];
  return flat as T;
}

/** FID first, then the well-known metrics, then anything else alphabetically: a stable order for charts. */
export function orderMetricKeys(keys: Iterable<string>): string[] {
  const known = [
    "fid",
    "fid_infinity",
    "cmmd",
    "kid",
    "is",
    "vendi",
    ...PRDC_KEYS,
    "mean_pairwise_distance",
    "recon_bce",
    "recon_mse",
    "kl",
  ];
  const set = new Set(keys);
  const first = known.filter((k) => set.has(k));
  const rest = [...set].filter((k) => !known.includes(k)).sort();
  return [...first, ...rest];
}

/**
 * A human label for a metric key; `distance` names the Frechet distance of the run's feature space ("FD_DINOv2"
 * for dinov2-vitl14 embeddings: see the reference's `distance`), FID by default.
 */
export function metricLabel(key: string, distance = "FID"): string {
  if (key === "fid") return distance;
  if (key === "fid_infinity") return `${distance}∞`;
  const labels: Record<string, string> = {
    cmmd: "CMMD",
    vendi: "Vendi",
    kid: "KID",
    is: "IS",
    recon_bce: "Recon. BCE",
    recon_mse: "Recon. MSE",
    kl: "KL",
    precision: "Precision",
    recall: "Recall",
    density: "Density",
    coverage: "Coverage",
    mean_pairwise_distance: "Mean pairwise distance",
    recon_bce_sum: "Recon. BCE (sum)",
    recon_mse_sum: "Recon. MSE (sum)",
    active_dims: "Active dims",
  };
  return labels[key] ?? key;
}
