/**
 * Errors as log lines without the data that came with them. A failed insert's error from Drizzle carries the
 * whole query and its parameters in its message (627 KB for one batch of features: the features themselves,
 * and perhaps secrets); a log needs what failed and where, not the payload.
 */

/** Most characters of one logged error. */
const MAX_LOG_CHARS = 4000;

/** One error's message without query parameters, bounded. */
function messageOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e).slice(0, 500);
  // Drizzle: "Failed query: <sql>\nparams: <values>". Keep the SQL (it names the statement), drop the values.
  const message = e.message.split(/\nparams:/)[0];
  return `${e.name}: ${message.length > 1000 ? `${message.slice(0, 1000)}...` : message}`;
}

/** A log line for an error: its message and its causes' (parameters removed), then its stack frames. */
export function describeError(e: unknown): string {
  const lines = [messageOf(e)];
  let cause = e instanceof Error ? e.cause : undefined;
  for (let depth = 0; depth < 4 && cause !== undefined; depth++) {
    const code = typeof cause === "object" && cause && "code" in cause ? ` [${String(cause.code)}]` : "";
    lines.push(`caused by ${messageOf(cause)}${code}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (e instanceof Error && e.stack) {
    lines.push(...e.stack.split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 12));
  }
  const text = lines.join("\n");
  return text.length > MAX_LOG_CHARS ? `${text.slice(0, MAX_LOG_CHARS)}...` : text;
}
