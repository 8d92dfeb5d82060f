/**
 * PostgreSQL text and jsonb cannot hold every JavaScript string: NUL (U+0000) is refused outright, and an unpaired
 * UTF-16 surrogate is refused inside jsonb (and silently turned into U+FFFD in text). Values a user gives are checked
 * here first, so such input is a 400 naming the field instead of a 500 or a changed value.
 */
import { InvalidInputError } from "../../src/errors.ts";

// In a u-mode class, a well-formed surrogate pair is one code point: only unpaired halves match.
// deno-lint-ignore no-control-regex
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

/** Throws a 400 if any string or object key in value (any depth) holds NUL or an unpaired surrogate. */
export function requireStorableText(value: unknown, field: string): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (UNSTORABLE.test(v)) {
        throw new InvalidInputError(
          "unstorable_text",
          `${field} contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored; remove it`,
        );
      }
    } else if (Array.isArray(v)) {
      stack.push(...v);
    } else if (v !== null && typeof v === "object") {
      for (const [k, inner] of Object.entries(v)) stack.push(k, inner);
    }
  }
}
