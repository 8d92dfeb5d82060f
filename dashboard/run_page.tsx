/**
 * One run: a chart per metric (every numeric key its metrics carry) against samples seen, live over SSE; the
 * final numbers; the run's configuration; a note while n <= dim; the phases of a finalize while it runs; and its
 * sample gallery.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { fetchRun, type MetricPoint, type Reference, type Run } from "./api.ts";
import { Chart } from "./chart.tsx";
import { followRun } from "./follow_run.ts";
import { type FinalizeProgress, progressLines } from "./finalize_progress.ts";
import { formatAgo, formatCount, formatMetric } from "./format.ts";
import { Gallery } from "./gallery.tsx";
import { Link } from "./link.tsx";
import {
  isMetricKey,
  metricKeys,
  metricLabel,
  metricStd,
  metricValue,
  orderMetricKeys,
  withPrdcFlattened,
} from "./metric_values.ts";
import type { RunSeries } from "./run_series.ts";
import { markFinalizing, mergePoint, newerRun } from "./run_updates.ts";
import type { StreamStatus } from "./sse.ts";
import { StatusBadge } from "./status_badge.tsx";
import { TagList } from "./tag_list.tsx";
import { seriesColor, useScheme } from "./theme.ts";
import { markFirstRender } from "./timing.ts";
import { useReferences } from "./use_runs.ts";
import { spaceOf } from "./feature_space.ts";
import { asFidInfinity, FidInfinityChart } from "./fid_infinity_chart.tsx";
import { metricsToCsv } from "./csv.ts";
import { downloadText, fileSlug } from "./download.ts";
import { useFrameVersion } from "./use_throttled.ts";
import { patchView, useView } from "./use_view.ts";

/** Props of RunPage. */
export interface RunPageProps {
  id: string;
}

/** The run page. */
export function RunPage({ id }: RunPageProps) {
  const view = useView();
  const scheme = useScheme();
  const references = useReferences();
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stream, setStream] = useState<StreamStatus>({ state: "connecting" });
  const [series, setSeries] = useState<RunSeries | null>(null);
  const [progress, setProgress] = useState<FinalizeProgress | null>(null);
  const [version, bump] = useFrameVersion();
  const lastRunFetch = useRef(0);

  useEffect(() => {
    let stopped = false;
    let follow: { close(): void } | null = null;
    const abort = new AbortController();
    setRun(null), setSeries(null), setError(null), setProgress(null);
    const refreshRun = () =>
      fetchRun(id, abort.signal).then(
        (r) => !stopped && setRun((cur) => newerRun(cur, r)),
        () => {/* the stream keeps going */},
      );
    fetchRun(id, abort.signal).then((r) => {
      if (stopped) return;
      setRun(r);
      const f = followRun(id, {
        onChange: bump,
        onStatus: setStream,
        onError: (e) => setError(e instanceof Error ? e.message : String(e)),
        onProgress: (p) => {
          setProgress(p);
          setRun((cur) => cur && markFinalizing(cur));
        },
        onPoint: (p: MetricPoint) => {
          setRun((cur) => cur && mergePoint(cur, p));
          // Sample counts and timestamps come with the run row: refresh it, at most once a second.
          if (p.kind === "final" || Date.now() - lastRunFetch.current > 1000) {
            lastRunFetch.current = Date.now();
            refreshRun();
          }
        },
      }, r.status !== "finalized" || (r.final?.pending?.length ?? 0) > 0);
      follow = f;
      setSeries(f.series);
      if (r.status === "finalized" && !r.final?.pending?.length) setStream({ state: "closed" });
    }, (e) => !stopped && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      stopped = true;
      abort.abort();
      follow?.close();
    };
  }, [id]);

  useEffect(() => {
    if (series && series.n.length) markFirstRender();
  }, [version, series]);

  // Fresh arrays per version: the chart hands them to uPlot, which must not see them change underneath it.
  const charts = useMemo(() => {
    if (!series) return [];
    const x = series.n.slice();
    // A metric that exists only once (KID, computed at finalize) is a number for the table, not a curve.
    return orderMetricKeys(series.keys())
      .map((key) => ({ key, x, y: series.columns.get(key)!.slice() }))
      .filter((c) => c.key === "fid" || c.y.filter((v) => v !== null).length >= 2);
  }, [series, version]);

  if (error && !run) {
    return (
      <section>
        <h1>Run not available</h1>
        <p class="error" role="alert">{error}</p>
        <p>
          <Link href="/">Back to all runs</Link>
        </p>
      </section>
    );
  }
  if (!run) return <p class="muted">Loading run…</p>;

  const ref = (references.data ?? []).find((r) => r.id === run.reference);
  const space = spaceOf(run, references.data);
  const fidInfinity = asFidInfinity(run.final?.fid_infinity);
  const pending = run.final?.pending ?? [];
  const last = series?.last() ?? run.latest ?? undefined;
  const rankDeficient = (run.final ?? last)?.rank_deficient === true;
  const note = (run.final ?? last)?.note;

  return (
    <section aria-labelledby="run-title" class="run-page">
      <div class="page-head">
        <div>
          <p class="crumbs">
            <Link href="/">Runs</Link> /
          </p>
          <h1 id="run-title">
            {run.name} <StatusBadge status={run.status} />
          </h1>
          <TagList tags={run.tags} />
        </div>
        <dl class="stats-strip">
          <div>
            <dt>Samples</dt>
            <dd data-testid="run-samples">{formatCount(run.n)}</dd>
          </div>
          <div>
            <dt>{run.final ? `Final ${space.distance}` : `Latest ${space.distance}`}</dt>
            <dd data-testid="run-fid">{formatMetric(metricValue(run.final ?? run.latest, "fid"))}</dd>
          </div>
          <div>
            <dt>Stream</dt>
            <dd>
              <StreamState status={stream} finalized={run.status === "finalized"} />
            </dd>
          </div>
        </dl>
      </div>

      {rankDeficient && (
        <p class="note" role="note" data-testid="rank-note">
          <strong>n ≤ dim.</strong> With {formatCount(last?.n ?? run.n)} samples of{" "}
          {run.dim}-dimensional features the sample covariance is singular, so FID is inflated. Values become
          meaningful past {formatCount(run.dim)} samples (and stable well beyond that).
        </p>
      )}
      {note && !rankDeficient && <p class="note" role="note">{note}</p>}
      {progress && run.status !== "finalized" && <FinalizingNote progress={progress} />}

      <div class="charts">
        {charts.length === 0 && (
          <p class="muted empty">
            No metrics yet: they appear here as soon as the first batch is evaluated.
          </p>
        )}
        {charts.map((c, i) => (
          <Chart
            key={c.key}
            title={`${metricLabel(c.key, space.distance)} · ${space.label} · ${run.name}`}
            xLabel="samples seen"
            yLabel={metricLabel(c.key, space.distance)}
            x={c.x}
            ys={[c.y]}
            series={[{
              label: metricLabel(c.key, space.distance),
              id: run.id,
              color: seriesColor(i, scheme),
            }]}
            version={version}
            zoom={view.zoom}
            onZoom={(zoom) => patchView({ zoom })}
          />
        ))}
      </div>
      {pending.includes("fid_infinity") && (
        <p class="note" role="status" data-testid="fid-infinity-pending">
          <strong>{metricLabel("fid_infinity", space.distance)}:</strong>{" "}
          computing from the run's stored samples (15 subsets, after the final numbers); it appears here when
          done.
        </p>
      )}
      {fidInfinity && (
        <FidInfinityChart
          fit={fidInfinity}
          distance={space.distance}
          space={space.label}
          runName={run.name}
        />
      )}

      <div class="two-col">
        <FinalTable run={run} distance={space.distance} />
        <RunConfig run={run} reference={ref} space={space.label} distance={space.distance} />
      </div>
      <Gallery runId={run.id} refreshKey={`${last?.n ?? 0}:${run.status}`} />
    </section>
  );
}

/** The phase a finalize is in and how long the finished ones took. */
function FinalizingNote({ progress }: { progress: FinalizeProgress }) {
  const lines = progressLines(progress);
  return (
    <p class="note progress-note" role="status" data-testid="finalize-progress">
      <strong>Finalizing:</strong> {lines.now}
      {lines.done && <span class="muted small">{` Done: ${lines.done}.`}</span>}
    </p>
  );
}

function StreamState({ status, finalized }: { status: StreamStatus; finalized: boolean }) {
  if (finalized) return <span class="muted">complete</span>;
  switch (status.state) {
    case "open":
      return <span class="live" data-testid="live">● live</span>;
    case "connecting":
      return <span class="muted">connecting…</span>;
    case "retrying":
      return <span class="warn">reconnecting in {Math.ceil(status.inMs / 1000)} s</span>;
    case "closed":
      return <span class="muted">closed</span>;
  }
}

/** The final numbers (or, before finalize, the latest partial ones), exportable as CSV or JSON. */
function FinalTable({ run, distance }: { run: Run; distance: string }) {
  const raw = run.final ?? run.latest;
  const point = raw && withPrdcFlattened(raw);
  const prdc = raw?.prdc as { k?: number; real_samples?: number; fake_samples?: number } | undefined;
  // Metrics the snapshot lists as pending keep their row, marked, until the snapshot that carries them.
  const pending = (Array.isArray(raw?.pending) ? raw.pending : []).filter((k) => isMetricKey(k));
  const keys = orderMetricKeys(new Set([...metricKeys(point), ...pending]));
  const refVendi = metricValue(raw?.reference as Record<string, unknown> | undefined, "vendi");
  const slope = asFidInfinity(raw?.fid_infinity)?.slope;
  const exportAs = (kind: "csv" | "json") => {
    if (!raw) return;
    const name = `${fileSlug(`${run.name} ${run.final ? "final" : "latest"} metrics`)}.${kind}`;
    if (kind === "csv") downloadText(name, metricsToCsv(raw), "text/csv");
    else downloadText(name, JSON.stringify(raw, null, 2), "application/json");
  };
  return (
    <section class="panel" aria-labelledby="final-title">
      <div class="panel-head">
        <h2 id="final-title">{run.final ? "Final metrics" : "Latest partial metrics"}</h2>
        {raw && (
          <span class="chart-tools" role="toolbar" aria-label="Export these metrics">
            <button type="button" class="export-final-csv" onClick={() => exportAs("csv")}>CSV</button>
            <button type="button" class="export-final-json" onClick={() => exportAs("json")}>JSON</button>
          </span>
        )}
      </div>
      {!point && <p class="muted">Nothing computed yet.</p>}
      {point && (
        <table class="kv final-table">
          <tbody>
            <tr>
              <th scope="row">samples</th>
              <td class="num">{formatCount(point.n)}</td>
            </tr>
            {keys.map((k) => {
              if (metricValue(point, k) === null) {
                return (
                  <tr key={k} data-metric={k} data-pending="">
                    <th scope="row">{metricLabel(k, distance)}</th>
                    <td class="num muted">computing…</td>
                  </tr>
                );
              }
              const std = metricStd(point, k);
              const extra = point[k] && typeof point[k] === "object"
                ? point[k] as Record<string, unknown>
                : null;
              return (
                <tr key={k} data-metric={k}>
                  <th scope="row">{metricLabel(k, distance)}</th>
                  <td class="num">
                    {formatMetric(metricValue(point, k))}
                    {std !== null && <span class="muted">{" ± "}{formatMetric(std)}</span>}
                    {extra && typeof extra.subsets === "number" && (
                      <span class="muted small">
                        {` (${extra.subsets} subsets of ${String(extra.subset_size)})`}
                      </span>
                    )}
                    {k === "fid_infinity" && slope !== undefined && (
                      <span class="muted small">{` (+ ${formatMetric(slope)} / N)`}</span>
                    )}
                    {k === "precision" && prdc?.k !== undefined && (
                      <span class="muted small">
                        {` (k = ${prdc.k}; ${formatCount(prdc.real_samples)} real, ${
                          formatCount(prdc.fake_samples)
                        } generated)`}
                      </span>
                    )}
                  </td>
                </tr>
              );
            })}
            {refVendi !== null && (
              <tr data-metric="reference_vendi">
                <th scope="row">Vendi of the reference</th>
                <td class="num">{formatMetric(refVendi)}</td>
              </tr>
            )}
            {point.at && (
              <tr>
                <th scope="row">computed</th>
                <td class="num" title={point.at}>{formatAgo(point.at, Date.now())}</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The run's configuration and identity. */
function RunConfig(
  { run, reference, space, distance }: { run: Run; reference?: Reference; space: string; distance: string },
) {
  return (
    <section class="panel" aria-labelledby="config-title">
      <h2 id="config-title">Run</h2>
      <table class="kv">
        <tbody>
          <tr>
            <th scope="row">id</th>
            <td>
              <code>{run.id}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">reference</th>
            <td>
              <Link href="/references">{reference?.name ?? run.reference}</Link>
              {reference && (
                <span class="muted small">
                  {reference.n === null
                    ? ` (${reference.source}: sample count unknown)`
                    : ` (${formatCount(reference.n)} samples, ${reference.source})`}
                </span>
              )}
            </td>
          </tr>
          <tr>
            <th scope="row">feature space</th>
            <td data-testid="run-space">
              {space} <span class="muted small">({distance})</span>
            </td>
          </tr>
          <tr>
            <th scope="row">feature dim</th>
            <td class="num">{run.dim}</td>
          </tr>
          <tr>
            <th scope="row">features kept</th>
            <td>{run.retain_features ? "yes (KID at finalize)" : "statistics only"}</td>
          </tr>
          <tr>
            <th scope="row">created</th>
            <td title={run.created_at}>{run.created_at.replace("T", " ").slice(0, 19)}</td>
          </tr>
        </tbody>
      </table>
      <h3>config</h3>
      <pre class="config">{JSON.stringify(run.config, null, 2)}</pre>
    </section>
  );
}
