/**
 * Puts several (x, y) series on one shared, ascending x axis, as uPlot's columnar data wants it: every series
 * gets a value at every x, null where it has no point there (drawn as a gap bridged by spanGaps).
 * A k-way merge: O(total points x series), cheap enough to redo on every streamed point for dozens of runs.
 */

/** One series: ascending unique xs and the ys that go with them. */
export interface XY {
  x: ArrayLike<number>;
  y: ArrayLike<number | null>;
}

/** [x, y1, y2, ...] with x the sorted union of every series' xs. */
export function alignSeries(series: XY[]): [number[], ...(number | null)[][]] {
  const xs: number[] = [];
  const idx = series.map(() => 0);
  const ys = series.map(() => [] as (number | null)[]);
  while (true) {
    let next = Infinity;
    for (let s = 0; s < series.length; s++) {
      const i = idx[s];
      if (i < series[s].x.length && series[s].x[i] < next) next = series[s].x[i];
    }
    if (next === Infinity) break;
    xs.push(next);
    for (let s = 0; s < series.length; s++) {
      const i = idx[s];
      if (i < series[s].x.length && series[s].x[i] === next) {
        ys[s].push(series[s].y[i] ?? null);
        idx[s] = i + 1;
      } else {
        ys[s].push(null);
      }
    }
  }
  return [xs, ...ys];
}
