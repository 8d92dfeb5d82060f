/** A run's tags as chips; clickable (to filter by that tag) when `onPick` is given. */

/** Props of TagList. */
export interface TagListProps {
  tags: string[];
  active?: string;
  onPick?: (tag: string) => void;
}

/** Tags as chips. */
export function TagList({ tags, active, onPick }: TagListProps) {
  if (!tags.length) return <span class="muted">—</span>;
  return (
    <span class="tags">
      {tags.map((t) =>
        onPick
          ? (
            <button
              type="button"
              key={t}
              class={`tag${t === active ? " tag-active" : ""}`}
              onClick={() => onPick(t === active ? "" : t)}
              aria-pressed={t === active}
              title={t === active ? `Stop filtering by ${t}` : `Show only runs tagged ${t}`}
            >
              {t}
            </button>
          )
          : <span key={t} class="tag">{t}</span>
      )}
    </span>
  );
}
