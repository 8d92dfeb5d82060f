/**
 * A finalize's progress as the run page shows it: the SSE `progress` events the service sends as each phase
 * begins (engine/pipeline/finalize_progress.ts), turned into the lines of a note.
 */

/** One `progress` event's data. */
export interface FinalizeProgress {
  phase: string;
  elapsed_s: number;
  done: { phase: string; seconds: number }[];
}

const LABELS: Record<string, string> = {
  closing: "closing the run",
  statistics: "folding statistics",
  fid: "FID",
  vendi: "Vendi score",
  "reading features": "reading stored features",
  distances: "Gram products: PRDC, pairwise distances",
  cmmd: "CMMD's Gram products",
  kid: "KID",
  storing: "storing the results",
  fid_infinity: "FID-infinity (15 subsets)",
  "storing fid_infinity": "storing FID-infinity",
};

/** A human label for a phase name. */
export function phaseLabel(phase: string): string {
  return LABELS[phase] ?? phase;
}

/** The event's data if it is one (anything else: null). */
export function asProgress(data: unknown): FinalizeProgress | null {
  if (!data || typeof data !== "object") return null;
  const p = data as Record<string, unknown>;
  if (typeof p.phase !== "string" || typeof p.elapsed_s !== "number" || !Array.isArray(p.done)) return null;
  return p as unknown as FinalizeProgress;
}

/** "KID (started at 3.2 s)" and "FID 1.10 s · reading stored features 0.42 s ...": the note's two lines. */
export function progressLines(p: FinalizeProgress): { now: string; done: string } {
  return {
    now: `${phaseLabel(p.phase)} (started at ${p.elapsed_s.toFixed(1)} s)`,
    done: p.done.map((d) => `${phaseLabel(d.phase)} ${d.seconds.toFixed(2)} s`).join(" · "),
  };
}
