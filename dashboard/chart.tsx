/**
 * A line chart of metrics against samples seen, on uPlot.
 *
 * Why uPlot: it draws on one canvas from flat columnar arrays, so a redraw of dozens of series with thousands
 * of points each takes a few milliseconds, and `setData(data, false)` swaps in new points WITHOUT touching the
 * scales, which is exactly "a streamed point never resets the user's zoom". SVG chart libraries build one DOM
 * node per point and re-diff them on every update; that gets slow at this size and fights live updates.
 *
 * Zoom is owned by the caller (it lives in the URL): a drag or a key changes it through `onZoom`, and a `zoom`
 * prop is applied to the chart. `null` means "the whole range", which follows new points as they stream in.
 */
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { type ChartTable, chartToCsv, chartToJson } from "./csv.ts";
import { downloadText, fileSlug } from "./download.ts";
import { formatCount, formatCountShort, formatMetric } from "./format.ts";
import { chartColors, useScheme } from "./theme.ts";
import type { Zoom } from "./view_state.ts";

/** One line on the chart. */
export interface ChartSeries {
  label: string;
  /** A stable id (a run id), carried into exports. */
  id?: string;
  color: string;
  /** "points": markers only (measured values); "line": a line without markers (a fitted curve). */
  style?: "points" | "line";
}

/** What to draw. `x` is ascending; each `ys[i]` is aligned with it (null = no point there). */
export interface ChartProps {
  title: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  ys: (number | null)[][];
  series: ChartSeries[];
  /** Bump when the arrays were changed in place. */
  version?: number;
  zoom: Zoom | null;
  onZoom(zoom: Zoom | null): void;
  height?: number;
}

/** The chart element carries its uPlot instance (handy in devtools and browser tests). */
export type ChartElement = HTMLDivElement & { uplot?: uPlot };

/** The full x range of the data, or null when there is none. */
function extent(x: number[]): Zoom | null {
  return x.length ? { min: x[0], max: x[x.length - 1] } : null;
}

function same(a: Zoom | null, b: Zoom | null, span: number): boolean {
  if (!a || !b) return a === b;
  const eps = Math.max(1e-9, span * 1e-9);
  return Math.abs(a.min - b.min) <= eps && Math.abs(a.max - b.max) <= eps;
}

/** The zoom a scale represents: null when it shows the whole data range. */
function zoomOf(u: uPlot): Zoom | null {
  const x = u.data[0] as number[];
  const ext = extent(x);
  const { min, max } = u.scales.x;
  if (!ext || min == null || max == null) return null;
  const span = Math.max(ext.max - ext.min, 1);
  if (min <= ext.min + span * 1e-9 && max >= ext.max - span * 1e-9) return null;
  return { min, max };
}

/** A zoomable, exportable uPlot line chart. */
export function Chart(props: ChartProps) {
  const { title, xLabel, yLabel, series, height = 280 } = props;
  const wrapRef = useRef<ChartElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const uRef = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const hidden = useRef(new Set<string>());
  // Scale changes we make ourselves already match the props: the setScale hook ignores them. uPlot commits
  // (and fires hooks) in a microtask, so the flag is cleared in a microtask queued after ours.
  const quietDepth = useRef(0);
  const drawnLength = useRef(0);
  const quiet = (fn: () => void) => {
    quietDepth.current++;
    try {
      fn();
    } finally {
      queueMicrotask(() => void quietDepth.current--);
    }
  };
  const scheme = useScheme();
  const seriesKey = series.map((s) => `${s.id ?? ""}\u0000${s.label}\u0000${s.color}\u0000${s.style ?? ""}`)
    .join("\u0001");

  const data = (): uPlot.AlignedData => [latest.current.x, ...latest.current.ys] as uPlot.AlignedData;

  // Built once per series set / colour scheme; data updates reuse the instance (see the effect below).
  useLayoutEffect(() => {
    const el = plotRef.current!;
    const colors = chartColors();
    const axis = (
      label: string,
      values: (u: uPlot, ticks: number[]) => string[],
      size?: number,
    ): uPlot.Axis => ({
      label,
      stroke: colors.fg,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid, width: 1 },
      values,
      ...(size ? { size } : {}),
    });
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth || 600),
      height,
      scales: {
        x: { time: false, range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
      },
      axes: [
        axis(xLabel, (_u, ticks) => ticks.map(formatCountShort)),
        axis(yLabel, (_u, ticks) => ticks.map((t) => formatMetric(t)), 64),
      ],
      series: [
        { label: xLabel, value: (_u, v) => (v == null ? "—" : formatCount(v)) },
        ...latest.current.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: true,
          show: !hidden.current.has(s.label),
          value: (_u, v) => formatMetric(v),
          points: { size: 5 },
          ...(s.style === "points" ? { paths: () => null, points: { show: true, size: 8 } } : {}),
          ...(s.style === "line" ? { points: { show: false } } : {}),
        })),
      ],
      cursor: { drag: { x: true, y: false, setScale: true }, focus: { prox: 24 } },
      focus: { alpha: 0.35 },
      legend: { live: true },
      hooks: {
        setScale: [(u, key) => {
          if (key !== "x" || quietDepth.current > 0 || u.data[0].length === 0) return;
          const z = zoomOf(u);
          const cur = latest.current;
          const ext = extent(cur.x);
          if (!same(z, cur.zoom, ext ? ext.max - ext.min : 1)) cur.onZoom(z);
        }],
        setSeries: [(u, i) => {
          if (i == null || i < 1) return;
          const s = u.series[i];
          if (s.show) hidden.current.delete(String(s.label));
          else hidden.current.add(String(s.label));
        }],
      },
    };
    let u!: uPlot;
    quiet(() => {
      u = new uPlot(opts, data(), el);
      const z = latest.current.zoom;
      if (z && latest.current.x.length) u.setScale("x", { ...z });
    });
    uRef.current = u;
    drawnLength.current = latest.current.x.length;
    if (wrapRef.current) wrapRef.current.uplot = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      uRef.current = null;
    };
  }, [seriesKey, scheme, xLabel, yLabel, height]);

  // New points: keep the scales when the user has zoomed, autoscale (follow the stream) when not.
  useEffect(() => {
    const u = uRef.current;
    if (!u) return;
    const z = props.zoom;
    const wasEmpty = drawnLength.current === 0;
    drawnLength.current = props.x.length;
    quiet(() => {
      if (z && !wasEmpty) {
        u.setData(data(), false);
        const cur = { min: u.scales.x.min ?? NaN, max: u.scales.x.max ?? NaN };
        if (!same(cur, z, z.max - z.min)) u.setScale("x", { ...z });
      } else {
        // First points (nothing to keep yet) or following the stream: autoscale, then apply any zoom.
        u.setData(data(), true);
        if (z && props.x.length) u.setScale("x", { ...z });
      }
    });
  }, [props.x, props.ys, props.version]);

  // Zoom changed from outside (URL, keyboard, another chart): apply it.
  useEffect(() => {
    const u = uRef.current;
    if (!u || props.x.length === 0) return;
    const z = props.zoom;
    if (same(zoomOf(u), z, 1)) return;
    const ext = extent(props.x)!;
    quiet(() => u.setScale("x", z ? { ...z } : { min: ext.min, max: ext.max }));
  }, [props.zoom?.min, props.zoom?.max]);

  const table = (): ChartTable => ({
    xLabel: "n",
    x: props.x,
    series: series.map((s, i) => ({ label: s.label, id: s.id, y: props.ys[i] })),
  });
  const exportAs = (kind: "csv" | "json") => {
    const name = `${fileSlug(title)}.${kind}`;
    if (kind === "csv") downloadText(name, chartToCsv(table()), "text/csv");
    else downloadText(name, chartToJson(table()), "application/json");
  };

  const zoomBy = (factor: number) => {
    const ext = extent(props.x);
    if (!ext) return;
    const cur = props.zoom ?? ext;
    const mid = (cur.min + cur.max) / 2, half = ((cur.max - cur.min) * factor) / 2;
    const next = { min: Math.max(ext.min, mid - half), max: Math.min(ext.max, mid + half) };
    props.onZoom(next.min <= ext.min && next.max >= ext.max ? null : next);
  };
  const pan = (fraction: number) => {
    const ext = extent(props.x);
    if (!ext || !props.zoom) return;
    const w = props.zoom.max - props.zoom.min;
    let min = props.zoom.min + w * fraction;
    min = Math.min(Math.max(min, ext.min), ext.max - w);
    props.onZoom({ min, max: min + w });
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.target !== e.currentTarget) return;
    const actions: Record<string, () => void> = {
      "+": () => zoomBy(0.5),
      "=": () => zoomBy(0.5),
      "-": () => zoomBy(2),
      "0": () => props.onZoom(null),
      Escape: () => props.onZoom(null),
      ArrowLeft: () => pan(-0.1),
      ArrowRight: () => pan(0.1),
    };
    const act = actions[e.key];
    if (act) (e.preventDefault(), act());
  };

  return (
    <figure class="chart">
      <figcaption class="chart-head">
        <span class="chart-title">{title}</span>
        <span class="chart-tools" role="toolbar" aria-label={`${title} chart tools`}>
          <button type="button" onClick={() => zoomBy(0.5)} title="Zoom in (+)" aria-label="Zoom in">
            +
          </button>
          <button type="button" onClick={() => zoomBy(2)} title="Zoom out (-)" aria-label="Zoom out">
            −
          </button>
          <button
            type="button"
            onClick={() => props.onZoom(null)}
            disabled={!props.zoom}
            title="Show everything (0)"
          >
            Reset
          </button>
          <button type="button" onClick={() => exportAs("csv")} class="export-csv">CSV</button>
          <button type="button" onClick={() => exportAs("json")} class="export-json">JSON</button>
        </span>
      </figcaption>
      <div
        ref={wrapRef}
        class="chart-plot"
        tabIndex={0}
        role="group"
        aria-label={`${title}: ${props.x.length} points. Drag to zoom, double-click to reset; ` +
          "keys: + and - zoom, arrows pan, 0 resets."}
        data-points={props.x.length}
        data-series={series.length}
        onKeyDown={onKey}
      >
        <div ref={plotRef} />
      </div>
    </figure>
  );
}
