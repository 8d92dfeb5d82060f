/** A chart's data as CSV (RFC 4180) and JSON, for export: exactly the values plotted, at full precision. */

/** The data behind one chart: a shared x column and one y column per series. */
export interface ChartTable {
  xLabel: string;
  x: ArrayLike<number>;
  series: { label: string; id?: string; y: ArrayLike<number | null> }[];
}

/** Quotes a CSV field when it holds a comma, quote or line break. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const s = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Rows of fields as CSV text with CRLF line ends. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** A chart table as CSV: one row per x, empty cells where a series has no point. */
export function chartToCsv(t: ChartTable): string {
  const rows: unknown[][] = [];
  for (let i = 0; i < t.x.length; i++) rows.push([t.x[i], ...t.series.map((s) => s.y[i])]);
  return toCsv([t.xLabel, ...t.series.map((s) => s.label)], rows);
}

/** A chart table as JSON: per series, only the points it has, as [x, y] pairs. */
export function chartToJson(t: ChartTable): string {
  return JSON.stringify(
    {
      x: t.xLabel,
      series: t.series.map((s) => {
        const points: [number, number][] = [];
        for (let i = 0; i < t.x.length; i++) {
          const y = s.y[i];
          if (y !== null && y !== undefined) points.push([t.x[i], y]);
        }
        return { label: s.label, ...(s.id ? { id: s.id } : {}), points };
      }),
    },
    null,
    2,
  );
}

/**
 * A run's final (or latest) metrics as rows of (metric, value): nested objects flattened with dotted names
 * (kid.mean, prdc.precision, fid_infinity.value, reference.vendi), FID-infinity's points as
 * fid_infinity.points.N rows, lists other than points left out (pending).
 */
export function metricsRows(point: Record<string, unknown>, prefix = ""): [string, number | string][] {
  const rows: [string, number | string][] = [];
  for (const [key, v] of Object.entries(point)) {
    const name = prefix + key;
    if (typeof v === "number" || typeof v === "string") rows.push([name, v]);
    else if (key === "points" && Array.isArray(v)) {
      for (const p of v) if (Array.isArray(p) && p.length === 2) rows.push([`${name}.${p[0]}`, p[1]]);
    } else if (v && typeof v === "object" && !Array.isArray(v)) {
      rows.push(...metricsRows(v as Record<string, unknown>, `${name}.`));
    }
  }
  return rows;
}

/** A run's final metrics as CSV: metric,value. */
export function metricsToCsv(point: Record<string, unknown>): string {
  return toCsv(["metric", "value"], metricsRows(point));
}
