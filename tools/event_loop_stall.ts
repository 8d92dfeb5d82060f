/** How long the calling thread's event loop is held while some work runs: the metric of "never blocks". */

/** Wall time of fn and the longest the event loop went without running a `tickMs` timer meanwhile. */
export async function measureStall(
  fn: () => Promise<unknown>,
  tickMs = 5,
): Promise<{ wallMs: number; blockedMs: number }> {
  let last = performance.now(), blocked = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    blocked = Math.max(blocked, now - last);
    last = now;
  }, tickMs);
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(ticker);
  }
  const wallMs = performance.now() - t0;
  blocked = Math.max(blocked, performance.now() - last);
  return { wallMs, blockedMs: blocked };
}
