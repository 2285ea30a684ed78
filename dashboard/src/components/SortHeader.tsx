/** Sorting state of a table: which column and which way. */
export interface Sort<K extends string> {
  key: K;
  ascending: boolean;
}

/** A column header that sorts by its key on click, and again the other way on a second click. */
export function SortHeader<K extends string>(props: {
  label: string;
  column: K;
  sort: Sort<K>;
  onSort: (sort: Sort<K>) => void;
  className?: string;
}) {
  const { label, column, sort, onSort } = props;
  const active = sort.key === column;
  const direction = active ? (sort.ascending ? 'ascending' : 'descending') : 'none';
  return (
    <th aria-sort={direction} className={props.className}>
      <button
        type="button"
        className={`sort ${active ? 'sort-active' : ''}`}
        onClick={() => onSort({ key: column, ascending: active ? !sort.ascending : true })}
      >
        {label}
        <span className="sort-mark" aria-hidden="true">
          {active ? (sort.ascending ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

/** Compares for sorting: missing values last whichever the direction. */
export function compareValues(
  a: string | number | null | undefined,
  b: string | number | null | undefined,
  ascending: boolean,
): number {
  if (a == null || b == null) return a == null ? (b == null ? 0 : 1) : -1;
  const order =
    typeof a === 'number' && typeof b === 'number'
      ? a - b
      : String(a).localeCompare(String(b), undefined, { numeric: true });
  return ascending ? order : -order;
}
