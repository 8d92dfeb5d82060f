/**
 * FID-infinity on the run page: the 15 FIDs finalize measured on nested subsets of the run's samples (points)
 * and the least-squares line FID = a + b / N through them (drawn as its curve against N), with what the fit
 * says: the limit a, and how many samples bring FID within 1 of it (N >= b).
 */
import { useMemo, useState } from "preact/hooks";
import { Chart } from "./chart.tsx";
import { formatCount, formatMetric } from "./format.ts";
import { metricLabel } from "./metric_values.ts";
import { seriesColor, useScheme } from "./theme.ts";
import type { Zoom } from "./view_state.ts";

/** FID-infinity as the final metrics carry it. */
export interface FidInfinity {
  value: number;
  slope: number;
  points: [number, number][];
}

/** The value when `v` is a well-formed FID-infinity object, else null. */
export function asFidInfinity(v: unknown): FidInfinity | null {
  if (!v || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  const ok = typeof o.value === "number" && typeof o.slope === "number" && Array.isArray(o.points) &&
    o.points.length >= 2 &&
    o.points.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === "number"));
  return ok ? (o as unknown as FidInfinity) : null;
}

/** Samples at which FID comes within 1 of its limit: a + b / N <= a + 1, i.e. N >= b (0 when b <= 0). */
export function samplesWithinOne(fit: FidInfinity): number {
  return fit.slope > 0 ? Math.ceil(fit.slope) : 0;
}

/** Chart columns: the measured N_k and 48 N between them spaced evenly in 1 / N, the points and the curve. */
export function fidInfinityColumns(
  fit: FidInfinity,
): { x: number[]; measured: (number | null)[]; line: number[] } {
  const ns = fit.points.map((p) => p[0]);
  const lo = Math.min(...ns), hi = Math.max(...ns);
  const xs = new Set(ns);
  for (let i = 1; i < 48; i++) xs.add(1 / (1 / lo + (i / 48) * (1 / hi - 1 / lo)));
  const x = [...xs].sort((a, b) => a - b);
  const at = new Map(fit.points.map(([n, f]) => [n, f]));
  return {
    x,
    measured: x.map((n) => at.get(n) ?? null),
    line: x.map((n) => fit.value + fit.slope / n),
  };
}

/** The FID-infinity chart and its reading. */
export function FidInfinityChart(
  { fit, distance, space, runName }: { fit: FidInfinity; distance: string; space: string; runName: string },
) {
  const scheme = useScheme();
  const [zoom, setZoom] = useState<Zoom | null>(null);
  const cols = useMemo(() => fidInfinityColumns(fit), [fit]);
  const label = metricLabel("fid_infinity", distance);
  const within = samplesWithinOne(fit);
  return (
    <div class="fid-infinity" data-testid="fid-infinity">
      <Chart
        title={`${label} fit · ${space} · ${runName}`}
        xLabel="samples (subsets of the run)"
        yLabel={distance}
        x={cols.x}
        ys={[cols.measured, cols.line]}
        series={[
          { label: `${distance} measured`, color: seriesColor(0, scheme), style: "points" },
          { label: `fit ${label} + b / N`, color: seriesColor(1, scheme), style: "line" },
        ]}
        zoom={zoom}
        onZoom={setZoom}
        height={240}
      />
      <p class="muted small" data-testid="fid-infinity-reading">
        {label} = <strong>{formatMetric(fit.value)}</strong> (slope b = {formatMetric(fit.slope)}).{" "}
        {within > 0
          ? `${formatCount(within)} samples bring ${distance} within 1 of its limit.`
          : `Every sample count brings ${distance} within 1 of its limit.`}
      </p>
    </div>
  );
}
