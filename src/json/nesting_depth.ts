/**
 * Nesting depth of JSON text, found by one linear scan before JSON.parse sees it. Deep values are cheap to send
 * (10,000 levels fit in 20 KB) and expensive downstream: PGlite's jsonb recursion hung the embedded database on
 * one such value. The scan stops as soon as `limit` is passed, so its cost is bounded by the text's length.
 */

/** Depth of the deepest array or object in `text` (0 for scalars), or `limit + 1` once it passes `limit`. */
export function jsonNestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: the next character is escaped
      else if (ch === 0x22) inString = false;
      continue;
    }
    if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return limit + 1;
      }
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return deepest;
}
