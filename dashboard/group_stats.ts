/**
 * Grouping runs by tags and summarizing a metric per group (mean and sample standard deviation), e.g. the FID
 * of one model over several seeds.
 *
 * A group spec is one of:
 * - `seed:*`  ignore every tag starting with `seed:`; runs whose OTHER tags are equal form a group;
 * - `model:`  group by the value of the tag starting with `model:` (runs without one are left out);
 * - `model:vae` (any other text) the runs carrying exactly that tag, as one group.
 */
import { metricValue } from "./metric_values.ts";

/** What a group summary needs of a run. */
export interface GroupableRun {
  id: string;
  name: string;
  tags: string[];
  final: Record<string, unknown> | null;
  latest: Record<string, unknown> | null;
}

/** A parsed group spec. */
export type GroupSpec =
  | { kind: "except"; prefix: string }
  | { kind: "by"; prefix: string }
  | { kind: "tag"; tag: string };

/** One member of a group and the value it contributes. */
export interface GroupMember {
  id: string;
  name: string;
  value: number;
  /** Whether `value` is the final result or the latest partial one. */
  source: "final" | "latest";
}

/** A group's summary. */
export interface GroupSummary {
  key: string;
  members: GroupMember[];
  mean: number;
  /** Sample standard deviation (n - 1); NaN for a group of one. */
  std: number;
}

/** Parses a group spec (see the module comment); an empty spec means no grouping. */
export function parseGroupSpec(spec: string): GroupSpec | null {
  const s = spec.trim();
  if (!s) return null;
  if (s.endsWith("*")) return { kind: "except", prefix: s.slice(0, -1) };
  if (s.endsWith(":")) return { kind: "by", prefix: s };
  return { kind: "tag", tag: s };
}

/** The group a run's tags put it in, or null when the spec leaves it out. */
export function groupKey(tags: string[], spec: GroupSpec): string | null {
  switch (spec.kind) {
    case "except": {
      const rest = tags.filter((t) => !t.startsWith(spec.prefix)).sort();
      return rest.length ? rest.join(", ") : "(no other tags)";
    }
    case "by": {
      const tag = tags.find((t) => t.startsWith(spec.prefix));
      return tag ?? null;
    }
    case "tag":
      return tags.includes(spec.tag) ? spec.tag : null;
  }
}

/** Mean and sample standard deviation (n - 1; NaN for fewer than two values), in float64 two-pass form. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { mean, std: NaN };
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}

/** Groups runs by `spec` and summarizes `metric` (final value when finalized, else the latest partial). */
export function summarizeGroups(runs: GroupableRun[], spec: GroupSpec, metric: string): GroupSummary[] {
  const groups = new Map<string, GroupMember[]>();
  for (const run of runs) {
    const key = groupKey(run.tags, spec);
    if (key === null) continue;
    const fin = metricValue(run.final, metric);
    const value = fin ?? metricValue(run.latest, metric);
    if (value === null) continue;
    const members = groups.get(key) ?? [];
    members.push({ id: run.id, name: run.name, value, source: fin !== null ? "final" : "latest" });
    groups.set(key, members);
  }
  return [...groups.entries()]
    .map(([key, members]) => ({ key, members, ...meanStd(members.map((m) => m.value)) }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** Group specs worth suggesting for these tags: `prefix*` and `prefix:` for every `prefix:` seen. */
export function suggestGroupSpecs(tagLists: string[][]): string[] {
  const prefixes = new Set<string>();
  for (const tags of tagLists) {
    for (const t of tags) {
      const colon = t.indexOf(":");
      if (colon > 0) prefixes.add(t.slice(0, colon + 1));
    }
  }
  const out: string[] = [];
  for (const p of [...prefixes].sort()) out.push(`${p}*`, p);
  return out;
}
