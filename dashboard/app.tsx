/**
 * The fidstream dashboard: entry point and shell (header, navigation, the page the URL names).
 * Bundled with `deno bundle --platform browser` (see functions/dashboard/bundle.ts); the CSS imports below end up
 * in app.css.
 */
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { render } from "preact";
import { useState } from "preact/hooks";
import { Compare } from "./compare.tsx";
import { KeyPrompt } from "./key_prompt.tsx";
import { Link } from "./link.tsx";
import { References } from "./references.tsx";
import { RunPage } from "./run_page.tsx";
import { RunsList } from "./runs_list.tsx";
import { useView } from "./use_view.ts";
import { defaultView, type Page, viewHref } from "./view_state.ts";

const NAV: { page: Page; label: string; href: string }[] = [
  { page: "runs", label: "Runs", href: "/" },
  { page: "compare", label: "Compare", href: "/compare" },
  { page: "references", label: "References", href: "/references" },
];

/** Copies the current URL (it restores this exact view) to the clipboard. */
function ShareButton() {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      prompt("Copy this link:", location.href);
    }
  };
  return (
    <button type="button" class="share" onClick={copy} title="Copy a link that restores this view">
      {copied ? "Link copied" : "Copy link"}
    </button>
  );
}

/** The whole app. */
export function App() {
  const view = useView();
  const active: Page = view.page === "run" ? "runs" : view.page;
  // Keep the run selection and metric when moving between the list and compare.
  const carry = { ...defaultView, runs: view.runs, metric: view.metric };
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <Link href="/" class="brand">fidstream</Link>
        <nav aria-label="Pages">
          {NAV.map((n) => (
            <Link
              key={n.page}
              href={n.page === "references" ? n.href : viewHref({ ...carry, page: n.page })}
              class="nav-link"
              aria-current={active === n.page ? "page" : undefined}
            >
              {n.label}
            </Link>
          ))}
        </nav>
        <span class="spacer" />
        <KeyPrompt />
        <ShareButton />
      </header>
      <main id="main" tabIndex={-1}>
        {view.page === "runs" && <RunsList />}
        {view.page === "run" && view.runId && <RunPage key={view.runId} id={view.runId} />}
        {view.page === "compare" && <Compare />}
        {view.page === "references" && <References />}
        {view.page === "not_found" && (
          <section>
            <h1>Not found</h1>
            <p>
              Nothing lives at <code>{location.pathname}</code>. <Link href="/">See all runs</Link>.
            </p>
          </section>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
