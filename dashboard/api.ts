/** The fidstream HTTP API as the dashboard uses it: same-origin paths, typed answers, JSON errors as Error. */

/** One metrics object: `n`, `at`, `fid` and any other keys the service adds (kid, is, recon_bce, kl, ...). */
export interface MetricPoint extends Record<string, unknown> {
  n: number;
  at?: string;
  fid?: number | null;
  kind?: "partial" | "final";
  rank_deficient?: boolean;
  note?: string;
  /** Work finalize answered before (FID-infinity): a later `final` adds it. */
  pending?: string[];
}

/** A run as GET /v1/runs answers it. */
export interface Run {
  id: string;
  name: string;
  reference: string;
  dim: number;
  tags: string[];
  /** Only in GET /v1/runs/:id (lists leave it out unless ?include=config). */
  config?: Record<string, unknown>;
  status: "streaming" | "finalizing" | "finalized";
  n: number;
  retain_features: boolean;
  latest: MetricPoint | null;
  final: MetricPoint | null;
  created_at: string;
  updated_at: string;
}

/** A reference as GET /v1/references answers it. */
export interface Reference {
  id: string;
  name: string;
  dim: number;
  source: string;
  /** Its feature space's name ("dinov2-vitl14", "mnist-lenet", ...); null for features of an unnamed space. */
  features: string | null;
  /** The displayed name of the Frechet distance in that space ("FID", "FD_DINOv2", ...). */
  distance: string;
  /** Samples behind it; null for a stats .npz uploaded without ?n= (mu and sigma do not say). */
  n: number | null;
  created_at: string;
  updated_at: string;
}

/** One gallery image (GET /v1/runs/:id/images). */
export interface GalleryImage {
  url: string;
  caption?: string;
}

/** An API error with the service's machine-readable code. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const KEY_NAME = "fidstream.apiKey";
const authListeners = new Set<() => void>();

/**
 * The API key this browser uses, if any. A server started with FIDSTREAM_AUTH=on answers 401 without one; the
 * app then asks for a key (a read key is enough to watch) and keeps it for the tab (sessionStorage) or, when
 * asked to remember it, for this browser (localStorage).
 */
export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_NAME) ?? localStorage.getItem(KEY_NAME);
}

/** Stores (or, with null, forgets) the API key. */
export function setApiKey(key: string | null, remember = false): void {
  sessionStorage.removeItem(KEY_NAME);
  localStorage.removeItem(KEY_NAME);
  if (key) (remember ? localStorage : sessionStorage).setItem(KEY_NAME, key);
}

/** Calls `fn` whenever the API answers 401 (no key, or a revoked one); returns an unsubscribe function. */
export function onAuthRequired(fn: () => void): () => void {
  authListeners.add(fn);
  return () => void authListeners.delete(fn);
}

/**
 * `url` with the key as `access_token` for requests that cannot carry headers (EventSource, <img>): only for
 * this server's /v1 paths, which accept it on GET.
 */
export function authedUrl(url: string): string {
  const key = apiKey();
  if (!key || !url.startsWith("/v1/")) return url;
  return `${url}${url.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(key)}`;
}

function authHeaders(): Record<string, string> {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

async function readJson<T>(res: Response): Promise<T> {
  if (res.status === 401) { for (const fn of authListeners) fn(); }
  if (res.ok) return await res.json() as T;
  let code = `http_${res.status}`, message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body?.error) ({ code, message } = body.error);
  } catch { /* not JSON: keep the status line */ }
  throw new ApiError(res.status, code, message);
}

/** GET a JSON path of the API. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return readJson<T>(
    await fetch(path, { signal, headers: { accept: "application/json", ...authHeaders() } }),
  );
}

/** Every row of a paged list endpoint, following next_cursor page by page. */
async function fetchAllPages<T>(path: string, key: string, signal?: AbortSignal): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page: Record<string, unknown> = await getJson(`${path}${query}`, signal);
    rows.push(...(page[key] as T[]));
    cursor = page.next_cursor as string | null;
  } while (cursor);
  return rows;
}

/** Every run with its latest and final metrics (without configs: the run page reads its run's). */
export function fetchRuns(signal?: AbortSignal): Promise<Run[]> {
  return fetchAllPages<Run>("/v1/runs", "runs", signal);
}

/** One run. */
export function fetchRun(id: string, signal?: AbortSignal): Promise<Run> {
  return getJson<Run>(`/v1/runs/${encodeURIComponent(id)}`, signal);
}

/** A run's metrics history, oldest first. */
export async function fetchMetrics(id: string, signal?: AbortSignal): Promise<MetricPoint[]> {
  return (await getJson<{ metrics: MetricPoint[] }>(`/v1/runs/${encodeURIComponent(id)}/metrics`, signal))
    .metrics;
}

/** Every reference. */
export function fetchReferences(signal?: AbortSignal): Promise<Reference[]> {
  return fetchAllPages<Reference>("/v1/references", "references", signal);
}

/** A run's gallery; an absent route (404) means "no gallery", not an error. */
export async function fetchImages(id: string, signal?: AbortSignal): Promise<GalleryImage[]> {
  const res = await fetch(`/v1/runs/${encodeURIComponent(id)}/images`, { signal, headers: authHeaders() });
  if (res.status === 404) return [];
  const body = await readJson<unknown>(res);
  const list = Array.isArray(body) ? body : (body as { images?: unknown })?.images;
  if (!Array.isArray(list)) return [];
  return list.filter((i): i is GalleryImage => typeof i?.url === "string");
}

/** Uploads a stats .npz (mu, sigma) or a features .npy as a new reference. */
export async function uploadReference(name: string, file: Blob & { name?: string }): Promise<Reference> {
  const isNpz = file.name?.toLowerCase().endsWith(".npz") ?? false;
  const res = await fetch(`/v1/references?name=${encodeURIComponent(name)}`, {
    method: "POST",
    body: file,
    headers: { "content-type": isNpz ? "application/zip" : "application/x-npy", ...authHeaders() },
  });
  return readJson<Reference>(res);
}
