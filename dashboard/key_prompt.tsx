/**
 * Asking for an API key when the server wants one (FIDSTREAM_AUTH=on answers 401 without it), and showing which
 * key is in use with a way to forget it. After a key is saved the page reloads: the URL holds the whole view,
 * so nothing is lost, and every request, stream and image starts over with the key.
 */
import { useEffect, useState } from "preact/hooks";
import { apiKey, onAuthRequired, setApiKey } from "./api.ts";

/** The key prompt (a dialog while the server refuses us) and the current key's badge. */
export function KeyPrompt() {
  const [needed, setNeeded] = useState(false);
  const [value, setValue] = useState("");
  const [remember, setRemember] = useState(false);
  const current = apiKey();
  useEffect(() => onAuthRequired(() => setNeeded(true)), []);

  const save = (e: Event) => {
    e.preventDefault();
    if (!value.trim()) return;
    setApiKey(value.trim(), remember);
    location.reload();
  };
  const forget = () => {
    setApiKey(null);
    location.reload();
  };

  return (
    <>
      {current && (
        <span class="key-badge" title="API key in use">
          key <code>{current.slice(0, 16)}…</code>
          <button type="button" onClick={forget}>Forget key</button>
        </span>
      )}
      {needed && (
        <div class="overlay">
          <form
            class="panel key-dialog"
            role="dialog"
            aria-modal="true"
            aria-labelledby="key-title"
            onSubmit={save}
          >
            <h2 id="key-title">{current ? "This API key was refused" : "This server needs an API key"}</h2>
            <p class="muted small" data-testid="key-help">
              On its first start the server printed an admin key and saved it to{" "}
              <code>.data/initial-admin-key</code> on its machine (the folder is{" "}
              <code>FIDSTREAM_DATA_DIR</code> when set): paste it here. A <code>read</code>{" "}
              key is enough to watch runs; make one, also while the server runs, with{" "}
              <code>deno task cli keys create --project default --scope read</code>.
            </p>
            <label class="field stacked">
              <span>API key</span>
              <input
                id="api-key"
                type="password"
                autoComplete="off"
                autoFocus
                placeholder="fsk_…"
                value={value}
                onInput={(e) => setValue((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="field">
              <input
                type="checkbox"
                checked={remember}
                onChange={(e) => setRemember((e.target as HTMLInputElement).checked)}
              />
              <span>Remember on this browser</span>
            </label>
            <div class="dialog-actions">
              <button type="submit" class="primary">Use this key</button>
            </div>
          </form>
        </div>
      )}
    </>
  );
}
