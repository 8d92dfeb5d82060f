/** The URL round-trips the view: page, selected runs, metric, zoom, filters, sort and grouping. */
import assert from "node:assert/strict";
import { defaultView, navigate, parseView, viewHref } from "../../dashboard/view_state.ts";

Deno.test("a view survives writing it to a URL and reading it back", () => {
  const v = {
    ...defaultView,
    page: "compare" as const,
    runs: ["a-1", "b-2"],
    metric: "kid",
    zoom: { min: 1234.5, max: 1 / 3 + 9000 },
    q: "vae, big & small",
    tag: "seed:1",
    sort: "fid",
    dir: "asc" as const,
    group: "model:",
  };
  const href = viewHref(v);
  const url = new URL(href, "http://x");
  assert.equal(url.pathname, "/compare");
  assert.deepEqual(parseView(url.pathname, url.search), v);
});

Deno.test("defaults stay out of the URL", () => {
  assert.equal(viewHref(defaultView), "/");
  assert.equal(viewHref({ ...defaultView, page: "run", runId: "r 1" }), "/runs/r%201");
  assert.deepEqual(parseView("/runs/r%201", ""), { ...defaultView, page: "run", runId: "r 1" });
});

Deno.test("paths map to pages; unknown ones are not found; a bad zoom is ignored", () => {
  assert.equal(parseView("/", "").page, "runs");
  assert.equal(parseView("/runs/", "").page, "runs");
  assert.equal(parseView("/references", "").page, "references");
  assert.equal(parseView("/nope", "").page, "not_found");
  assert.equal(parseView("/", "?xmin=5&xmax=2").zoom, null);
  assert.equal(parseView("/", "?xmin=abc&xmax=2").zoom, null);
  assert.equal(parseView("/", "?dir=sideways").dir, "desc");
});

Deno.test("navigating to another page drops the zoom but keeps the selection", () => {
  const v = { ...defaultView, runs: ["a"], zoom: { min: 1, max: 2 } };
  const next = navigate(v, "run", "a");
  assert.deepEqual([next.page, next.runId, next.zoom, next.runs], ["run", "a", null, ["a"]]);
});
