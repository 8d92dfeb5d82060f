/** A run's status as a badge: streaming (pulsing), finalizing, finalized. */

/** The badge of one status. */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}
