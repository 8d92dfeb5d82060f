/** Validation of user-given names and tags (free text: any unicode, bounded length, no control characters). */
import { InvalidInputError } from "../src/errors.ts";

/** Longest name or tag, in characters (Unicode code points). */
export const MAX_NAME_CHARACTERS = 200;

/** Returns the trimmed name, or throws a 400 naming the field. */
export function requireName(value: unknown, field: string): string {
  if (typeof value !== "string" || value.trim().length === 0) {
    throw new InvalidInputError("missing_name", `${field} is required and must be a non-empty string`);
  }
  const name = value.trim();
  // Characters are code points: an emoji is one character, not two UTF-16 units.
  let characters = 0;
  for (const _ of name) {
    if (++characters > MAX_NAME_CHARACTERS) {
      throw new InvalidInputError("name_too_long", `${field} is over ${MAX_NAME_CHARACTERS} characters`);
    }
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidInputError("name_control_characters", `${field} contains control characters`);
  }
  // Unpaired UTF-16 halves (from JSON "\ud800" escapes) are no characters: stored, they would change.
  if (/[\uD800-\uDFFF]/u.test(name)) {
    throw new InvalidInputError("name_invalid_unicode", `${field} contains an unpaired UTF-16 surrogate`);
  }
  return name;
}
