import { PALETTE } from './chart';

// A chart's legend: one toggle button per line (pressed = shown), in the chart's colours.
// Hidden lines are kept by index, as the chart takes them.

export function Legend(props: {
  labels: string[];
  hidden: ReadonlySet<number>;
  onChange: (hidden: Set<number>) => void;
  /** The list's accessible name, e.g. "Lines" or "Events". */
  name: string;
}) {
  const toggle = (i: number) => {
    const h = new Set(props.hidden);
    if (h.has(i)) h.delete(i);
    else h.add(i);
    props.onChange(h);
  };
  return (
    <ul class="legend" aria-label={props.name}>
      {props.labels.map((label, i) => (
        <li key={label}>
          <button
            type="button"
            class="legend-item"
            aria-pressed={!props.hidden.has(i)}
            onClick={() => toggle(i)}
          >
            <span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} />
            {label}
          </button>
        </li>
      ))}
    </ul>
  );
}
