import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { daySeconds, type Granularity, periodLabel } from '../format';

// Time series are drawn by uPlot (canvas; a 10-year daily series draws in a few ms). The
// server rolls points up by granularity first, so a chart never gets more points than
// periods, and no chart drawing is written here: only the data and options uPlot takes.

/**
 * Ticks on period starts, every n-th so the labels fit (about one per 90 px). uPlot's own
 * time ticks fall between the periods of a coarse series (day ticks under monthly data), and
 * in the reader's time zone, where a period starting at UTC midnight may show as the day before.
 */
function periodSplits(u: uPlot): number[] {
  const xs = u.data[0] as number[];
  const fit = Math.max(2, Math.floor(u.bbox.width / (window.devicePixelRatio || 1) / 90));
  const step = Math.ceil(xs.length / fit);
  return xs.filter((_, i) => i % step === 0);
}

export interface Line {
  label: string;
  points: { period_start: string; value: string | number | null }[];
}

export const PALETTE = [
  '#2563eb',
  '#d97706',
  '#059669',
  '#dc2626',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#9ca3af',
];

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** uPlot's data: one x array (every period of any line, in order), one y array a line. */
export function alignLines(lines: Line[]): uPlot.AlignedData {
  const xs = [...new Set(lines.flatMap((l) => l.points.map((p) => daySeconds(p.period_start))))].sort(
    (a, b) => a - b,
  );
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = lines.map((l) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of l.points)
      y[index.get(daySeconds(p.period_start))!] = p.value === null ? null : Number(p.value);
    return y;
  });
  return [xs, ...ys];
}

export function TimeChart(props: {
  lines: Line[];
  hidden?: ReadonlySet<number>;
  height?: number;
  label: string;
  /** The series' granularity: ticks on its periods, labelled by it. */
  granularity?: Granularity;
  onDrawn?: (ms: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current!;
    const axis = {
      stroke: cssVar('--muted'),
      grid: { stroke: cssVar('--grid'), width: 1 },
      ticks: { show: false },
    };
    const data = alignLines(props.lines);
    const xs = data[0] as number[];
    const manyYears = xs.length > 1 && xs[xs.length - 1] - xs[0] > 366 * 86_400;
    const granularity = props.granularity;
    const xAxis = granularity
      ? {
          ...axis,
          splits: periodSplits,
          values: (_u: uPlot, splits: number[]) => splits.map((x) => periodLabel(x, granularity, manyYears)),
        }
      : axis;
    const started = performance.now();
    let drawn = false;
    const u = new uPlot(
      {
        width: el.clientWidth || 600,
        // uPlot draws in a microtask after it is made: the first draw hook is the real end.
        hooks: {
          draw: [
            () => {
              if (!drawn) props.onDrawn?.(performance.now() - started);
              drawn = true;
            },
          ],
        },
        height: props.height ?? 320,
        legend: { show: false },
        scales: { x: { time: true } },
        axes: [xAxis, { ...axis, size: 70 }],
        series: [
          {},
          ...props.lines.map((l, i) => ({
            label: l.label,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            show: !props.hidden?.has(i),
            spanGaps: false,
            points: { show: l.points.length < 60 },
          })),
        ],
      },
      data,
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: el.clientWidth, height: props.height ?? 320 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [props.lines, props.granularity]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    for (let i = 0; i < props.lines.length; i++) u.setSeries(i + 1, { show: !props.hidden?.has(i) });
  }, [props.hidden]);

  return <div ref={box} class="chart" role="img" aria-label={props.label} />;
}

/** A card's small line: no axes, no cursor; just the shape of the last periods. */
export function Sparkline(props: {
  points: { period_start: string; value: string | null }[];
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const u = new uPlot(
      {
        width: 120,
        height: 36,
        legend: { show: false },
        cursor: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: false } },
        series: [{}, { stroke: cssVar('--accent'), width: 1.5, spanGaps: true, points: { show: false } }],
      },
      alignLines([{ label: '', points: props.points }]),
      el,
    );
    return () => u.destroy();
  }, [props.points]);
  return <div ref={box} class="sparkline" role="img" aria-label={props.label} />;
}
