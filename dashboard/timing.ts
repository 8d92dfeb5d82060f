/** Performance marks the browser tests read (performance.getEntriesByName). */

let marked = false;

/** Marks the first time a page shows real data ("fidstream:first-render"), once per page load. */
export function markFirstRender(): void {
  if (marked) return;
  marked = true;
  // After the browser has painted the frame that holds the data, not merely after the DOM changed.
  requestAnimationFrame(() => setTimeout(() => performance.mark("fidstream:first-render"), 0));
}
