/**
 * Reading deno test's results: its JUnit XML report and its closing summary line.
 *
 * What is counted: every <testcase> element of deno's JUnit report, i.e. each test AND each t.step is one
 * case (deno's own summary counts both too, as "N passed (M steps)"), so a failing step counts once for the
 * step and once for its parent test.
 */

/** Outcome counts read from deno's JUnit XML. */
export interface JUnitCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** "file > test name" of each ignored test case. */
  skippedNames: string[];
  /** "file > test name" of each failed test case. */
  failedNames: string[];
}

function decodeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    switch (e) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default:
        return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

function attr(tag: string, name: string): string {
  const m = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
  return m ? decodeXml(m[1]) : "";
}

/** Count passed/failed/skipped <testcase> elements (tests and steps alike) in deno's JUnit XML. */
export function parseJUnit(xml: string): JUnitCounts {
  const counts: JUnitCounts = { passed: 0, failed: 0, skipped: 0, skippedNames: [], failedNames: [] };
  // deno writes either <testcase .../> or <testcase ...>children</testcase>; failure text is escaped, so
  // the first "</testcase>" after an opening tag closes it.
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const tag = m[1];
    const body = m[3] ?? "";
    const label = `${attr(tag, "classname")} > ${attr(tag, "name")}`;
    if (/<(failure|error)\b/.test(body)) {
      counts.failed++;
      counts.failedNames.push(label);
    } else if (/<skipped\b/.test(body)) {
      counts.skipped++;
      counts.skippedNames.push(label);
    } else {
      counts.passed++;
    }
  }
  return counts;
}

/** Failed tests + failed steps from deno's summary line ("FAILED | 1 passed | 3 failed (1 step) | ..."). */
export function summaryFailedTotal(output: string): number | null {
  // deno colours its output; strip ANSI escapes before matching.
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain.split("\n").filter((l) => /^(ok|FAILED) \| .* passed/.test(l.trim()));
  const last = lines.at(-1);
  if (!last) return null;
  const m = last.match(/\|\s*(\d+) failed(?: \((\d+) steps?\))?/);
  return m ? Number(m[1]) + Number(m[2] ?? 0) : null;
}

/** The final summary line: `N passed, N failed` plus `, N skipped` when any were ignored. */
export function summaryLine(passed: number, failed: number, skipped: number): string {
  return `${passed} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : "");
}
