export interface PageState {
  /** Zero-based page number. */
  number: number;
  size: number;
  total: number;
}

/** Previous / next through a long list, with where the reader is. */
export function Pager(props: { page: PageState; onChange: (number: number) => void; label: string }) {
  const { number, size, total } = props.page;
  const pages = Math.max(1, Math.ceil(total / size));
  const first = total === 0 ? 0 : number * size + 1;
  const last = Math.min(total, (number + 1) * size);
  return (
    <nav className="pager" aria-label={`${props.label} pages`}>
      <span className="pager-range">
        {first}–{last} of {total}
      </span>
      <button type="button" onClick={() => props.onChange(number - 1)} disabled={number <= 0}>
        Previous
      </button>
      <span className="pager-position">
        Page {Math.min(number + 1, pages)} of {pages}
      </span>
      <button type="button" onClick={() => props.onChange(number + 1)} disabled={number + 1 >= pages}>
        Next
      </button>
    </nav>
  );
}
