/**
 * The dashboard's view as a URL, so any view can be shared and restored: the page is the path (/, /runs/:id,
 * /compare, /references); selected runs, metric, zoom, filters, sort and grouping are query parameters. Only
 * values that differ from the defaults are written, so links stay short.
 */

/** Which page is shown. */
export type Page = "runs" | "run" | "compare" | "references" | "not_found";

/** An x-axis window (samples seen). */
export interface Zoom {
  min: number;
  max: number;
}

/** Sort direction. */
export type SortDir = "asc" | "desc";

/** Everything a URL restores. */
export interface ViewState {
  page: Page;
  /** The run of the run page. */
  runId: string | null;
  /** Selected runs (compare). */
  runs: string[];
  /** Chosen metric (compare, grouping). */
  metric: string;
  /** x zoom; null = the whole range, following new points. */
  zoom: Zoom | null;
  /** Runs list text filter. */
  q: string;
  /** Runs list tag filter. */
  tag: string;
  /** Runs list sort column and direction. */
  sort: string;
  dir: SortDir;
  /** Compare page group spec (see group_stats.ts). */
  group: string;
}

/** The view with nothing chosen. */
export const defaultView: ViewState = {
  page: "runs",
  runId: null,
  runs: [],
  metric: "fid",
  zoom: null,
  q: "",
  tag: "",
  sort: "updated",
  dir: "desc",
  group: "seed:*",
};

/** Reads a view from a URL's path and query string. */
export function parseView(pathname: string, search: string): ViewState {
  const v: ViewState = { ...defaultView, runs: [] };
  const path = pathname.replace(/\/+$/, "") || "/";
  const run = path.match(/^\/runs\/([^/]+)$/);
  if (path === "/" || path === "/runs") v.page = "runs";
  else if (run) (v.page = "run", v.runId = decodeURIComponent(run[1]));
  else if (path === "/compare") v.page = "compare";
  else if (path === "/references") v.page = "references";
  else v.page = "not_found";
  const q = new URLSearchParams(search);
  const runs = q.get("runs");
  if (runs) v.runs = runs.split(",").map((s) => s.trim()).filter(Boolean);
  v.metric = q.get("metric") || defaultView.metric;
  const min = numberParam(q.get("xmin")), max = numberParam(q.get("xmax"));
  v.zoom = min !== null && max !== null && min < max ? { min, max } : null;
  v.q = q.get("q") ?? "";
  v.tag = q.get("tag") ?? "";
  v.sort = q.get("sort") || defaultView.sort;
  const dir = q.get("dir");
  v.dir = dir === "asc" || dir === "desc" ? dir : defaultView.dir;
  v.group = q.get("group") ?? defaultView.group;
  return v;
}

/** The path and query string of a view (defaults left out). */
export function viewHref(v: ViewState): string {
  let path = "/";
  if (v.page === "run" && v.runId) path = `/runs/${encodeURIComponent(v.runId)}`;
  else if (v.page === "compare") path = "/compare";
  else if (v.page === "references") path = "/references";
  const q = new URLSearchParams();
  if (v.runs.length) q.set("runs", v.runs.join(","));
  if (v.metric !== defaultView.metric) q.set("metric", v.metric);
  if (v.zoom) (q.set("xmin", String(v.zoom.min)), q.set("xmax", String(v.zoom.max)));
  if (v.q) q.set("q", v.q);
  if (v.tag) q.set("tag", v.tag);
  if (v.sort !== defaultView.sort) q.set("sort", v.sort);
  if (v.dir !== defaultView.dir) q.set("dir", v.dir);
  if (v.group !== defaultView.group) q.set("group", v.group);
  const s = q.toString().replaceAll("%2C", ",").replaceAll("%3A", ":").replaceAll("%2A", "*");
  return s ? `${path}?${s}` : path;
}

/** The view after navigating to another page: page-specific state (zoom) is dropped. */
export function navigate(v: ViewState, page: Page, runId: string | null = null): ViewState {
  return { ...v, page, runId, zoom: null };
}

function numberParam(s: string | null): number | null {
  if (s === null || s.trim() === "") return null;
  const x = Number(s);
  return Number.isFinite(x) ? x : null;
}
