/**
 * A run's metric history as chart columns, kept sorted by samples seen (n). Streaming appends are O(1) per point
 * (the common case: n only grows); an out-of-order point (history arriving after live events) is inserted.
 * One point per n: a later one at the same n (e.g. the final result) replaces the earlier.
 */
import type { MetricPoint } from "./api.ts";
import { isMetricKey, metricValue } from "./metric_values.ts";

/** Sorted metric points of one run, with columns ready for a chart. */
export class RunSeries {
  /** Sample counts, ascending and unique. */
  readonly n: number[] = [];
  /** Metric key -> values aligned with `n` (null where a point lacks the key). */
  readonly columns = new Map<string, (number | null)[]>();
  /** The points themselves, aligned with `n`. */
  readonly points: MetricPoint[] = [];
  /** Bumped on every change, so views can tell whether to redraw. */
  version = 0;
  private seen = new Set<string>();

  /** Adds one point; returns whether anything changed. */
  add(point: MetricPoint): boolean {
    if (typeof point?.n !== "number" || !Number.isFinite(point.n)) return false;
    const id = `${point.kind ?? ""}|${point.at ?? ""}|${point.n}`;
    if (point.at !== undefined && this.seen.has(id)) return false;
    this.seen.add(id);
    const n = point.n;
    let i = this.n.length;
    if (i > 0 && this.n[i - 1] >= n) i = lowerBound(this.n, n);
    if (i < this.n.length && this.n[i] === n) {
      if (!isNewer(point, this.points[i])) return false;
      this.points[i] = point;
      for (const col of this.columns.values()) col[i] = null;
      this.setValues(point, i);
    } else {
      this.n.splice(i, 0, n);
      this.points.splice(i, 0, point);
      for (const col of this.columns.values()) col.splice(i, 0, null);
      this.setValues(point, i);
    }
    this.version++;
    return true;
  }

  /** Adds many points; returns whether anything changed. */
  addAll(points: Iterable<MetricPoint>): boolean {
    let changed = false;
    for (const p of points) changed = this.add(p) || changed;
    return changed;
  }

  /** The newest point by n, if any. */
  last(): MetricPoint | undefined {
    return this.points[this.points.length - 1];
  }

  /** Metric keys present in any point. */
  keys(): string[] {
    return [...this.columns.keys()];
  }

  private setValues(point: MetricPoint, i: number) {
    for (const key of Object.keys(point)) {
      if (!isMetricKey(key)) continue;
      const v = metricValue(point, key);
      if (v === null) continue;
      let col = this.columns.get(key);
      if (!col) {
        col = new Array(this.n.length).fill(null);
        this.columns.set(key, col);
      }
      col[i] = v;
    }
  }
}

/** A final result beats a partial one at the same n; otherwise the later `at` wins. */
function isNewer(a: MetricPoint, b: MetricPoint): boolean {
  if (a.kind === "final" && b.kind !== "final") return true;
  if (b.kind === "final" && a.kind !== "final") return false;
  return (a.at ?? "") >= (b.at ?? "");
}

/** First index whose value is >= x in an ascending array. */
export function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
