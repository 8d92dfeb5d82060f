/**
 * References (real-data statistics): name, feature dim, sample count, source and how many runs use each, plus
 * an upload form for a stats .npz (mu, sigma) or a features .npy (POST /v1/references?name=...).
 */
import { useMemo, useState } from "preact/hooks";
import { uploadReference } from "./api.ts";
import { formatAgo, formatCount } from "./format.ts";
import { Link } from "./link.tsx";
import { useReferences, useRuns } from "./use_runs.ts";

/** The references page. */
export function References() {
  const references = useReferences(5000);
  const runs = useRuns(5000);
  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const runCounts = useMemo(() => {
    const m = new Map<string, number>();
    for (const r of runs.data ?? []) m.set(r.reference, (m.get(r.reference) ?? 0) + 1);
    return m;
  }, [runs.data]);

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (!file) return setMessage({ ok: false, text: "Choose a .npz or .npy file first." });
    const refName = name.trim() || file.name.replace(/\.(npz|npy)$/i, "");
    setBusy(true), setMessage(null);
    try {
      const ref = await uploadReference(refName, file);
      setMessage({
        ok: true,
        text: `Registered “${ref.name}”: ${ref.dim} dims, ${
          ref.n === null ? "sample count unknown (mu and sigma only)" : `${formatCount(ref.n)} samples`
        }.`,
      });
      setName(""), setFile(null);
      (e.target as HTMLFormElement).reset();
      references.refresh();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  const now = Date.now();
  return (
    <section aria-labelledby="refs-title">
      <div class="page-head">
        <h1 id="refs-title">References</h1>
      </div>
      {references.error && <p class="error" role="alert">Could not load references: {references.error}</p>}
      {references.data === null && !references.error && <p class="muted">Loading references…</p>}
      {references.data?.length === 0 && <p class="muted">No reference yet: upload one below.</p>}
      {references.data && references.data.length > 0 && (
        <div class="table-wrap">
          <table class="refs-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="num">Dim</th>
                <th scope="col" class="num">Samples</th>
                <th scope="col">Source</th>
                <th scope="col" class="num">Runs</th>
                <th scope="col">Id</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {references.data.map((r) => (
                <tr key={r.id} data-reference={r.id}>
                  <th scope="row">{r.name}</th>
                  <td class="num">{r.dim}</td>
                  <td class="num">
                    {r.n === null ? <span title="mu and sigma only: n unknown">—</span> : formatCount(r.n)}
                  </td>
                  <td>{r.source === "stats" ? "stats .npz" : "features"}</td>
                  <td class="num">
                    {runCounts.get(r.id)
                      ? <Link href={`/?q=${encodeURIComponent(r.name)}`}>{runCounts.get(r.id)}</Link>
                      : 0}
                  </td>
                  <td>
                    <code class="small">{r.id}</code>
                  </td>
                  <td class="nowrap" title={r.updated_at}>{formatAgo(r.updated_at, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="panel upload" onSubmit={onSubmit} aria-labelledby="upload-title">
        <h2 id="upload-title">Upload a reference</h2>
        <p class="muted small">
          A pytorch-fid / clean-fid statistics file (<code>.npz</code> with <code>mu</code> and{" "}
          <code>sigma</code>) or an N × D features array (<code>.npy</code>, float32 or float64).
        </p>
        <div class="upload-row">
          <label class="field">
            <span>Name</span>
            <input
              id="ref-name"
              value={name}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
              placeholder="cifar10-train"
            />
          </label>
          <label class="field">
            <span>File</span>
            <input
              id="ref-file"
              type="file"
              accept=".npz,.npy"
              onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
            />
          </label>
          <button type="submit" class="primary" disabled={busy}>{busy ? "Uploading…" : "Upload"}</button>
        </div>
        {message && (
          <p class={message.ok ? "ok" : "error"} role={message.ok ? "status" : "alert"}>{message.text}</p>
        )}
      </form>
    </section>
  );
}
