/**
 * Sample images of a run (GET /v1/runs/:id/images: [{url, caption}]): the latest uploaded samples and stored
 * grids. Another part of the service provides that route; until it exists (404), or when a run has no images,
 * the gallery renders nothing at all.
 */
import { useEffect, useState } from "preact/hooks";
import { authedUrl, fetchImages, type GalleryImage } from "./api.ts";

/** Props of Gallery: `refreshKey` changes when the images may have changed (new uploads). */
export interface GalleryProps {
  runId: string;
  refreshKey?: unknown;
}

/** The image gallery of one run. */
export function Gallery({ runId, refreshKey }: GalleryProps) {
  const [images, setImages] = useState<GalleryImage[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    fetchImages(runId, abort.signal).then(
      (list) => (setImages(list), setError(null)),
      (e) => !abort.signal.aborted && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => abort.abort();
  }, [runId, refreshKey]);
  if (error) return <p class="muted gallery-error">Sample images could not be loaded: {error}</p>;
  if (!images.length) return null;
  return (
    <section class="panel gallery" aria-labelledby="gallery-title">
      <h2 id="gallery-title">Samples</h2>
      <ul class="gallery-grid">
        {images.map((img, i) => (
          <li key={`${img.url}#${i}`}>
            <figure>
              <a href={authedUrl(img.url)} target="_blank" rel="noopener">
                <img src={authedUrl(img.url)} alt={img.caption || `sample image ${i + 1}`} loading="lazy" />
              </a>
              {img.caption && <figcaption>{img.caption}</figcaption>}
            </figure>
          </li>
        ))}
      </ul>
    </section>
  );
}
