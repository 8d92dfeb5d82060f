/**
 * Comparing runs: the chosen metric of every selected run overlaid on one chart per feature space (live; numbers
 * of different spaces never share an axis, and each chart names its space), and runs grouped by tag (e.g. every
 * seed of one model) with the mean and standard deviation of each group's final (or latest) value, per space.
 *
 * Live data: at most MAX_STREAMS selected streaming runs get their own SSE stream (a browser allows ~6
 * connections per origin); the others take their newest point from the polled runs list.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { alignSeries } from "./align.ts";
import type { Run } from "./api.ts";
import { groupBySpace } from "./feature_space.ts";
import { Chart } from "./chart.tsx";
import { type FollowedRun, followRun } from "./follow_run.ts";
import { formatMetric } from "./format.ts";
import { parseGroupSpec, suggestGroupSpecs, summarizeGroups } from "./group_stats.ts";
import { Link } from "./link.tsx";
import { metricLabel, orderMetricKeys } from "./metric_values.ts";
import { TagList } from "./tag_list.tsx";
import { seriesColor, useScheme } from "./theme.ts";
import { markFirstRender } from "./timing.ts";
import { useReferences, useRuns } from "./use_runs.ts";
import { useFrameVersion } from "./use_throttled.ts";
import { patchView, useView } from "./use_view.ts";

const MAX_STREAMS = 3;

interface Followed {
  run: FollowedRun;
  live: boolean;
}

/** The compare page. */
export function Compare() {
  const view = useView();
  const scheme = useScheme();
  const runs = useRuns();
  const references = useReferences(5000);
  const [version, bump] = useFrameVersion();
  const followed = useRef(new Map<string, Followed>());
  const [pickerFilter, setPickerFilter] = useState("");

  const byId = useMemo(() => new Map((runs.data ?? []).map((r) => [r.id, r])), [runs.data]);
  const selected = view.runs.filter((id) => byId.has(id) || runs.data === null);

  // Follow exactly the selected runs; start or stop streams as the selection and statuses change.
  useEffect(() => {
    const map = followed.current;
    const want = new Set(selected);
    for (const [id, f] of map) {
      if (!want.has(id)) (f.run.close(), map.delete(id), bump());
    }
    let streams = [...map.values()].filter((f) => f.live).length;
    for (const id of selected) {
      const run = byId.get(id);
      if (!run || map.has(id)) continue;
      const live = run.status !== "finalized" && streams < MAX_STREAMS;
      if (live) streams++;
      map.set(id, { run: followRun(id, { onChange: bump }, live), live });
    }
    // Runs without a stream of their own: the polled list brings their newest point.
    for (const [id, f] of map) {
      const run = byId.get(id);
      if (!run || f.live) continue;
      let changed = false;
      if (run.latest) changed = f.run.series.add({ ...run.latest, kind: "partial" }) || changed;
      if (run.final) changed = f.run.series.add({ ...run.final, kind: "final" }) || changed;
      if (changed) bump();
    }
  }, [selected.join(","), runs.data]);
  useEffect(() => () => {
    for (const f of followed.current.values()) f.run.close();
    followed.current.clear();
  }, []);

  const metricsAvailable = useMemo(() => {
    const keys = new Set<string>(["fid"]);
    for (const f of followed.current.values()) for (const k of f.run.series.keys()) keys.add(k);
    return orderMetricKeys(keys);
  }, [version, selected.join(",")]);
  const metric = view.metric;

  // One chart per feature space: an FID in Inception space and an FD_DINOv2 never share an axis.
  const charts = useMemo(() => {
    const shown = selected.filter((id) => followed.current.has(id) && byId.has(id)).map((id) =>
      byId.get(id)!
    );
    return groupBySpace(shown, references.data).map(({ space, runs: members }) => {
      const parts = members.map((r) => {
        const s = followed.current.get(r.id)!.run.series;
        return { x: s.n, y: s.columns.get(metric) ?? new Array(s.n.length).fill(null) };
      });
      const [x, ...ys] = alignSeries(parts);
      const series = members.map((r) => ({
        id: r.id,
        label: r.name,
        color: seriesColor(view.runs.indexOf(r.id), scheme),
      }));
      return { space, x, ys, series };
    });
  }, [version, selected.join(","), metric, scheme, byId, references.data]);
  const oneSpace = charts.length === 1 ? charts[0].space : null;

  useEffect(() => {
    if (runs.data) markFirstRender();
  }, [runs.data !== null]);

  const toggle = (id: string) =>
    patchView({ runs: view.runs.includes(id) ? view.runs.filter((r) => r !== id) : [...view.runs, id] });
  const spec = parseGroupSpec(view.group);
  const groupPool: Run[] = selected.length
    ? selected.map((id) => byId.get(id)).filter((r): r is Run => !!r)
    : (runs.data ?? []);
  const groupsBySpace = spec
    ? groupBySpace(groupPool, references.data)
      .map(({ space, runs: members }) => ({ space, groups: summarizeGroups(members, spec, metric) }))
      .filter((g) => g.groups.length > 0)
    : [];
  const groups = groupsBySpace.flatMap((g) => g.groups);
  const distance = oneSpace?.distance ?? groupsBySpace[0]?.space.distance ?? "FID";
  const suggestions = suggestGroupSpecs((runs.data ?? []).map((r) => r.tags));
  // Bars scale within a space: values of two spaces are not comparable.
  const barMaxOf = (gs: typeof groups) =>
    Math.max(1e-12, ...gs.map((g) => g.mean + (Number.isFinite(g.std) ? g.std : 0)).filter(Number.isFinite));
  const pickable = (runs.data ?? []).filter((r) => {
    const q = pickerFilter.trim().toLowerCase();
    return !q || [r.name, ...r.tags].some((s) => s.toLowerCase().includes(q));
  });

  return (
    <section aria-labelledby="compare-title" class="compare">
      <div class="page-head">
        <h1 id="compare-title">Compare</h1>
        <div class="toolbar">
          <label class="field">
            <span>Metric</span>
            <select
              id="compare-metric"
              value={metric}
              onChange={(e) => patchView({ metric: (e.target as HTMLSelectElement).value, zoom: null })}
            >
              {(metricsAvailable.includes(metric) ? metricsAvailable : [metric, ...metricsAvailable]).map((
                k,
              ) => <option key={k} value={k}>{metricLabel(k, oneSpace?.distance)}</option>)}
            </select>
          </label>
        </div>
      </div>
      <div class="compare-layout">
        <aside class="panel picker" aria-labelledby="picker-title">
          <h2 id="picker-title">Runs</h2>
          <input
            type="search"
            placeholder="Filter…"
            value={pickerFilter}
            onInput={(e) => setPickerFilter((e.target as HTMLInputElement).value)}
            aria-label="Filter the run picker"
          />
          <ul class="picker-list">
            {pickable.map((r) => {
              const on = view.runs.includes(r.id);
              return (
                <li key={r.id}>
                  <label>
                    <input type="checkbox" checked={on} onChange={() => toggle(r.id)} data-run={r.id} />
                    <span
                      class="swatch"
                      style={{
                        background: on ? seriesColor(view.runs.indexOf(r.id), scheme) : "transparent",
                      }}
                    />
                    <span class="picker-name">{r.name}</span>
                  </label>
                  <TagList tags={r.tags} />
                </li>
              );
            })}
          </ul>
        </aside>
        <div class="compare-main">
          {selected.length === 0
            ? <p class="muted empty">Tick runs on the left (or on the runs page) to overlay them here.</p>
            : charts.map((c) => (
              <div key={c.space.key} class="space-chart" data-space={c.space.key}>
                <Chart
                  title={`${
                    metricLabel(metric, c.space.distance)
                  } · ${c.space.label} · ${c.series.length} runs`}
                  xLabel="samples seen"
                  yLabel={metricLabel(metric, c.space.distance)}
                  x={c.x}
                  ys={c.ys}
                  series={c.series}
                  zoom={view.zoom}
                  onZoom={(zoom) => patchView({ zoom })}
                  height={charts.length > 1 ? 260 : 340}
                />
              </div>
            ))}
          {charts.length > 1 && (
            <p class="muted small" data-testid="spaces-note">
              The selected runs live in {charts.length}{" "}
              feature spaces: one chart each, since their numbers are not comparable.
            </p>
          )}
          <section class="panel groups" aria-labelledby="groups-title">
            <div class="panel-head">
              <h2 id="groups-title">
                Groups{" "}
                <span class="muted small">
                  {metricLabel(metric, distance)}, mean ± std over {selected.length ? "the selected" : "all"}
                  {" "}
                  runs, per feature space
                </span>
              </h2>
              <label class="field">
                <span>Group by</span>
                <input
                  id="group-spec"
                  list="group-specs"
                  value={view.group}
                  onChange={(e) => patchView({ group: (e.target as HTMLInputElement).value })}
                  placeholder="seed:*"
                  aria-describedby="group-help"
                />
                <datalist id="group-specs">
                  {suggestions.map((s) => <option key={s} value={s} />)}
                </datalist>
              </label>
            </div>
            <p id="group-help" class="muted small">
              <code>seed:*</code> ignores seed tags and groups runs whose other tags match;{" "}
              <code>model:</code> groups by the model tag's value; a full tag like <code>model:vae</code>{" "}
              selects the runs that carry it. Final values where a run is finalized, else its latest partial
              value (marked °). std is the sample standard deviation (n − 1).
            </p>
            {groups.length === 0
              ? (
                <p class="muted">
                  No group: no run has both a matching tag and a {metricLabel(metric, distance)} value.
                </p>
              )
              : groupsBySpace.map(({ space, groups }) => ({ space, groups, barMax: barMaxOf(groups) })).map((
                { space, groups, barMax },
              ) => (
                <table class="groups-table" key={space.key} data-space={space.key}>
                  {groupsBySpace.length > 1 && (
                    <caption>{metricLabel(metric, space.distance)} in {space.label}</caption>
                  )}
                  <thead>
                    <tr>
                      <th scope="col">Group</th>
                      <th scope="col" class="num">Runs</th>
                      <th scope="col" class="num">Mean</th>
                      <th scope="col" class="num">Std</th>
                      <th scope="col" class="bar-col">
                        <span class="sr-only">Mean ± std bar</span>
                      </th>
                      <th scope="col">Members</th>
                    </tr>
                  </thead>
                  <tbody>
                    {groups.map((g) => (
                      <tr key={g.key} data-group={g.key}>
                        <th scope="row">{g.key}</th>
                        <td class="num">{g.members.length}</td>
                        <td class="num strong" data-col="mean">{formatMetric(g.mean)}</td>
                        <td class="num" data-col="std">{formatMetric(g.std)}</td>
                        <td class="bar-col" aria-hidden="true">
                          <span class="bar">
                            <span class="bar-fill" style={{ width: `${(100 * g.mean) / barMax}%` }} />
                            {Number.isFinite(g.std) && (
                              <span
                                class="bar-whisker"
                                style={{
                                  left: `${(100 * Math.max(0, g.mean - g.std)) / barMax}%`,
                                  width: `${(100 * (Math.min(g.mean, g.std) + g.std)) / barMax}%`,
                                }}
                              />
                            )}
                          </span>
                        </td>
                        <td class="members">
                          {g.members.map((m) => (
                            <span key={m.id} class="member">
                              <Link href={`/runs/${encodeURIComponent(m.id)}`}>{m.name}</Link>{" "}
                              {formatMetric(m.value)}
                              {m.source === "latest" && <span title="latest partial value">°</span>}
                            </span>
                          ))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ))}
          </section>
        </div>
      </div>
    </section>
  );
}
