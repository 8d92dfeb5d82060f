/**
 * Every run in one table: name, tags, reference, samples so far, latest partial and final metrics, status and
 * last update. Sortable by any column, filtered by text and tag, refreshed live (polled: see use_runs.ts).
 * Rows are keyed by run id, so a refresh patches cells in place and never moves the scroll position, focus or
 * the selection (which lives in the URL, like the filters and sort).
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Reference, Run } from "./api.ts";
import { formatAgo, formatCount, formatMetric } from "./format.ts";
import { Link } from "./link.tsx";
import { metricValue } from "./metric_values.ts";
import { StatusBadge } from "./status_badge.tsx";
import { TagList } from "./tag_list.tsx";
import { markFirstRender } from "./timing.ts";
import { useReferences, useRuns } from "./use_runs.ts";
import { patchView, useView } from "./use_view.ts";
import { defaultView, type SortDir, viewHref } from "./view_state.ts";

interface Column {
  key: string;
  label: string;
  title?: string;
  numeric?: boolean;
  value(run: Run, refs: Map<string, Reference>): number | string | null;
}

const COLUMNS: Column[] = [
  { key: "name", label: "Run", value: (r) => r.name.toLowerCase() },
  { key: "reference", label: "Reference", value: (r, refs) => (refs.get(r.reference)?.name ?? r.reference) },
  { key: "samples", label: "Samples", numeric: true, value: (r) => r.n },
  {
    key: "fid",
    label: "FID",
    title: "Latest partial FID",
    numeric: true,
    value: (r) => metricValue(r.latest, "fid"),
  },
  {
    key: "is",
    label: "IS",
    title: "Latest Inception Score",
    numeric: true,
    value: (r) => metricValue(r.latest, "is"),
  },
  {
    key: "kid",
    label: "KID",
    title: "Latest KID",
    numeric: true,
    value: (r) => metricValue(r.latest, "kid"),
  },
  {
    key: "final_fid",
    label: "Final FID",
    numeric: true,
    value: (r) => metricValue(r.final, "fid"),
  },
  { key: "final_kid", label: "Final KID", numeric: true, value: (r) => metricValue(r.final, "kid") },
  { key: "status", label: "Status", value: (r) => r.status },
  { key: "updated", label: "Updated", value: (r) => r.updated_at },
];

const OPTIONAL = new Set(["is", "kid", "final_kid"]);

/** Sorts runs by a column; missing values always go last. */
export function sortRuns(runs: Run[], key: string, dir: SortDir, refs: Map<string, Reference>): Run[] {
  const col = COLUMNS.find((c) => c.key === key) ?? COLUMNS[COLUMNS.length - 1];
  const sign = dir === "asc" ? 1 : -1;
  return runs
    .map((run) => ({ run, v: col.value(run, refs) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? 0 : a.v === null ? 1 : -1;
      const c = typeof a.v === "number" && typeof b.v === "number"
        ? a.v - b.v
        : String(a.v).localeCompare(String(b.v));
      return c !== 0 ? sign * c : a.run.id.localeCompare(b.run.id);
    })
    .map((x) => x.run);
}

/** The runs table page. */
export function RunsList() {
  const view = useView();
  const runs = useRuns();
  const references = useReferences(10_000);
  const [now, setNow] = useState(Date.now());
  useEffect(() => setNow(Date.now()), [runs.data]);
  useEffect(() => {
    if (runs.data) markFirstRender();
  }, [runs.data !== null]);

  const refs = useMemo(() => new Map((references.data ?? []).map((r) => [r.id, r])), [references.data]);
  const allTags = useMemo(() => [...new Set((runs.data ?? []).flatMap((r) => r.tags))].sort(), [runs.data]);
  const shown = useMemo(() => {
    const q = view.q.trim().toLowerCase();
    const filtered = (runs.data ?? []).filter((r) => {
      if (view.tag && !r.tags.includes(view.tag)) return false;
      if (!q) return true;
      const refName = refs.get(r.reference)?.name ?? "";
      return [r.name, r.id, r.status, refName, ...r.tags].some((s) => s.toLowerCase().includes(q));
    });
    return sortRuns(filtered, view.sort, view.dir, refs);
  }, [runs.data, refs, view.q, view.tag, view.sort, view.dir]);

  // Columns of metrics no run has yet (IS before any run reports it) stay out of the way.
  const columns = useMemo(
    () =>
      COLUMNS.filter((c) => !OPTIONAL.has(c.key) || (runs.data ?? []).some((r) => c.value(r, refs) !== null)),
    [runs.data, refs],
  );
  const shownCols = new Set(columns.map((c) => c.key));
  const selected = new Set(view.runs);
  const toggle = (id: string) => {
    const next = selected.has(id) ? view.runs.filter((r) => r !== id) : [...view.runs, id];
    patchView({ runs: next });
  };
  const sortBy = (key: string) => {
    const dir: SortDir = view.sort === key ? (view.dir === "asc" ? "desc" : "asc") : key === "name" ||
        key === "reference" || key === "status" || key.includes("fid") || key.includes("kid")
      ? "asc"
      : "desc";
    patchView({ sort: key, dir });
  };
  const allShownSelected = shown.length > 0 && shown.every((r) => selected.has(r.id));
  const toggleAll = () =>
    patchView({
      runs: allShownSelected
        ? view.runs.filter((id) => !shown.some((r) => r.id === id))
        : [...new Set([...view.runs, ...shown.map((r) => r.id)])],
    });
  const compareHref = viewHref({ ...defaultView, page: "compare", runs: view.runs, metric: view.metric });

  return (
    <section aria-labelledby="runs-title">
      <div class="page-head">
        <h1 id="runs-title">Runs</h1>
        <div class="toolbar">
          <label class="field">
            <span class="sr-only">Filter runs by text</span>
            <input
              type="search"
              placeholder="Filter by name, tag, reference…"
              value={view.q}
              onInput={(e) => patchView({ q: (e.target as HTMLInputElement).value })}
              id="runs-filter"
            />
          </label>
          <label class="field">
            <span class="sr-only">Filter runs by tag</span>
            <select
              value={view.tag}
              onChange={(e) => patchView({ tag: (e.target as HTMLSelectElement).value })}
              id="runs-tag"
            >
              <option value="">All tags</option>
              {allTags.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
          </label>
          {view.runs.length > 0 && (
            <>
              <Link href={compareHref} class="button primary">Compare {view.runs.length} selected</Link>
              <button type="button" onClick={() => patchView({ runs: [] })}>Clear selection</button>
            </>
          )}
        </div>
      </div>
      {runs.error && <p class="error" role="alert">Could not load runs: {runs.error}</p>}
      {runs.data === null && !runs.error && <p class="muted">Loading runs…</p>}
      {runs.data?.length === 0 && (
        <div class="empty">
          <p>No runs yet.</p>
          <p class="muted">
            Register a reference (<code>POST /v1/references?name=…</code>), create a run (<code>
              POST /v1/runs
            </code>) and upload batches: partial FID appears here as it is computed.
          </p>
        </div>
      )}
      {runs.data && runs.data.length > 0 && (
        <div class="table-wrap">
          <table class="runs-table">
            <caption class="sr-only">
              {shown.length} of {runs.data.length} runs, sorted by {view.sort}{" "}
              {view.dir === "asc" ? "ascending" : "descending"}
            </caption>
            <thead>
              <tr>
                <th class="select-col">
                  <input
                    type="checkbox"
                    checked={allShownSelected}
                    onChange={toggleAll}
                    aria-label="Select every shown run"
                  />
                </th>
                {columns.map((c) => (
                  <th
                    key={c.key}
                    class={c.numeric ? "num" : undefined}
                    aria-sort={view.sort === c.key
                      ? (view.dir === "asc" ? "ascending" : "descending")
                      : undefined}
                  >
                    <button type="button" class="sort" onClick={() => sortBy(c.key)} title={c.title}>
                      {c.label}
                      <span aria-hidden="true" class="sort-mark">
                        {view.sort === c.key ? (view.dir === "asc" ? " ▲" : " ▼") : ""}
                      </span>
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.id} data-run={r.id} class={selected.has(r.id) ? "selected" : undefined}>
                  <td class="select-col">
                    <input
                      type="checkbox"
                      checked={selected.has(r.id)}
                      onChange={() =>
                        toggle(r.id)}
                      aria-label={`Select ${r.name} for comparison`}
                    />
                  </td>
                  <td class="name-cell">
                    <Link href={`/runs/${encodeURIComponent(r.id)}`} class="run-link">{r.name}</Link>
                    <TagList
                      tags={r.tags}
                      active={view.tag}
                      onPick={(tag) =>
                        patchView({ tag })}
                    />
                  </td>
                  <td>
                    <span title={r.reference}>{refs.get(r.reference)?.name ?? r.reference.slice(0, 8)}</span>
                  </td>
                  <td class="num" data-col="samples">{formatCount(r.n)}</td>
                  <td class="num" data-col="fid">
                    {formatMetric(metricValue(r.latest, "fid"))}
                    {r.latest?.rank_deficient === true && (
                      <span class="warn-mark" title="n ≤ dim: covariance is singular and FID inflated">
                        *
                      </span>
                    )}
                  </td>
                  {shownCols.has("is") && (
                    <td class="num" data-col="is">{formatMetric(metricValue(r.latest, "is"))}</td>
                  )}
                  {shownCols.has("kid") && (
                    <td class="num" data-col="kid">{formatMetric(metricValue(r.latest, "kid"))}</td>
                  )}
                  <td class="num strong" data-col="final_fid">{formatMetric(metricValue(r.final, "fid"))}</td>
                  {shownCols.has("final_kid") && (
                    <td class="num" data-col="final_kid">{formatMetric(metricValue(r.final, "kid"))}</td>
                  )}
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td class="nowrap" title={r.updated_at}>{formatAgo(r.updated_at, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 && <p class="muted">No run matches these filters.</p>}
        </div>
      )}
    </section>
  );
}
