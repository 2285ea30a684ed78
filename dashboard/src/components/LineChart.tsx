import { type MouseEvent, useId, useState } from 'react';
import { formatClock, formatDateTime, formatValue } from '../format.js';

export type Tone = 'good' | 'fair' | 'warning' | 'critical';

/** A limit drawn as a dashed line; the region above it takes its tone up to the next limit. */
export interface Threshold {
  value: number;
  label: string;
  /** How the region above this line reads. */
  above: Tone;
}

export interface ChartPoint {
  /** Epoch ms. */
  t: number;
  v: number;
}

interface Props {
  title: string;
  unit: string;
  points: readonly ChartPoint[];
  from: number;
  to: number;
  /** Data step; a gap longer than a few steps breaks the line rather than bridging the outage. */
  stepMs: number;
  /** Ascending limits; the next one above the data is always in view so the headroom shows. */
  thresholds: readonly Threshold[];
  /** How the region below the first limit reads. */
  below: Tone;
  /** The axis starts at zero (a magnitude such as vibration severity). */
  fromZero?: boolean;
  /** What to say when there is nothing to draw. */
  emptyText: string;
}

const WIDTH = 760;
const HEIGHT = 230;
const MARGIN = { top: 14, right: 92, bottom: 28, left: 52 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const GAP_STEPS = 3;
const HOUR = 3_600_000;

/** Round tick values: 1, 2, 2.5 or 5 times a power of ten, about `count` of them across [lo, hi]. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function valueDomain(points: readonly ChartPoint[], thresholds: readonly Threshold[], fromZero: boolean) {
  const values = points.map((p) => p.v);
  let lo = values.length ? Math.min(...values) : (thresholds[0]?.value ?? 1) * 0.5;
  let hi = values.length ? Math.max(...values) : (thresholds[0]?.value ?? 1);
  const next = thresholds.find((t) => t.value >= hi);
  if (next) hi = next.value;
  if (fromZero) lo = 0;
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.08;
  return { lo: fromZero ? 0 : lo - pad, hi: hi + pad };
}

/** A time series with its limits, as an inline SVG; hovering shows the nearest reading. */
export function LineChart(props: Props) {
  const { points, from, to, thresholds, unit } = props;
  const clipId = useId();
  const [hover, setHover] = useState<ChartPoint | null>(null);
  const { lo, hi } = valueDomain(points, thresholds, props.fromZero ?? false);
  const x = (t: number) => MARGIN.left + ((t - from) / (to - from)) * PLOT_W;
  const y = (v: number) => MARGIN.top + (1 - (v - lo) / (hi - lo)) * PLOT_H;
  const clampY = (v: number) => Math.min(Math.max(y(v), MARGIN.top), MARGIN.top + PLOT_H);

  let path = '';
  let previous: ChartPoint | undefined;
  const lonely: ChartPoint[] = [];
  points.forEach((p, i) => {
    const joined = previous !== undefined && p.t - previous.t <= GAP_STEPS * props.stepMs;
    path += `${joined ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    const next = points[i + 1];
    if (!joined && (next === undefined || next.t - p.t > GAP_STEPS * props.stepMs)) lonely.push(p);
    previous = p;
  });

  const regions = [
    { start: lo, end: thresholds[0]?.value ?? hi, tone: props.below },
    ...thresholds.map((t, i) => ({ start: t.value, end: thresholds[i + 1]?.value ?? hi, tone: t.above })),
  ].filter((r) => r.end > lo && r.start < hi);
  const visibleLimits = thresholds.filter((t) => t.value > lo && t.value < hi);
  const hourTicks: number[] = [];
  const tickEvery = to - from > 36 * HOUR ? 12 * HOUR : to - from > 12 * HOUR ? 4 * HOUR : HOUR;
  for (let t = Math.ceil(from / tickEvery) * tickEvery; t <= to; t += tickEvery) hourTicks.push(t);

  const onMove = (event: MouseEvent<SVGRectElement>) => {
    if (points.length === 0) return;
    const box = event.currentTarget.ownerSVGElement?.getBoundingClientRect();
    if (!box) return;
    const t =
      from + ((((event.clientX - box.left) / box.width) * WIDTH - MARGIN.left) / PLOT_W) * (to - from);
    let nearest = points[0];
    for (const p of points) if (Math.abs(p.t - t) < Math.abs(nearest.t - t)) nearest = p;
    setHover(nearest);
  };

  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-title">{props.title}</span>
        <span className="chart-unit">{unit}</span>
        {hover && (
          <span className="chart-readout">
            {formatDateTime(new Date(hover.t).toISOString())} · <strong>{formatValue(hover.v, unit)}</strong>
          </span>
        )}
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`${props.title} over the last 24 hours, ${points.length} points`}
        data-points={points.length}
      >
        <defs>
          <clipPath id={clipId}>
            <rect x={MARGIN.left} y={MARGIN.top} width={PLOT_W} height={PLOT_H} />
          </clipPath>
        </defs>
        {regions.map((r) => (
          <rect
            key={`${r.start}-${r.tone}`}
            className={`region tone-${r.tone}`}
            x={MARGIN.left}
            width={PLOT_W}
            y={clampY(r.end)}
            height={clampY(r.start) - clampY(r.end)}
          />
        ))}
        {niceTicks(lo, hi, 5).map((v) => (
          <g key={`y${v}`} className="tick">
            <line x1={MARGIN.left} x2={MARGIN.left + PLOT_W} y1={y(v)} y2={y(v)} className="grid" />
            <text x={MARGIN.left - 8} y={y(v)} dy="0.32em" textAnchor="end">
              {formatValue(v)}
            </text>
          </g>
        ))}
        {hourTicks.map((t) => (
          <g key={`x${t}`} className="tick">
            <line x1={x(t)} x2={x(t)} y1={MARGIN.top} y2={MARGIN.top + PLOT_H} className="grid" />
            <text x={x(t)} y={HEIGHT - 8} textAnchor="middle">
              {formatClock(t)}
            </text>
          </g>
        ))}
        {visibleLimits.map((t) => (
          <g key={`limit${t.value}`} className={`limit tone-${t.above}`}>
            <line x1={MARGIN.left} x2={MARGIN.left + PLOT_W} y1={y(t.value)} y2={y(t.value)} />
            <text x={MARGIN.left + PLOT_W + 6} y={y(t.value)} dy="0.32em">
              {t.label} {formatValue(t.value)}
            </text>
          </g>
        ))}
        <g clipPath={`url(#${clipId})`}>
          <path className="series" d={path} />
          {lonely.map((p) => (
            <circle key={p.t} className="series-dot" cx={x(p.t)} cy={y(p.v)} r={2.5} />
          ))}
          {hover && (
            <>
              <line
                className="hover-guide"
                x1={x(hover.t)}
                x2={x(hover.t)}
                y1={MARGIN.top}
                y2={MARGIN.top + PLOT_H}
              />
              <circle className="hover-dot" cx={x(hover.t)} cy={y(hover.v)} r={4} />
            </>
          )}
        </g>
        {points.length === 0 && (
          <text
            className="empty"
            x={MARGIN.left + PLOT_W / 2}
            y={MARGIN.top + PLOT_H / 2}
            textAnchor="middle"
          >
            {props.emptyText}
          </text>
        )}
        {/* biome-ignore lint/a11y/noStaticElementInteractions: the hover readout is a pointer convenience; the same values are in the device's text and API */}
        <rect
          className="overlay"
          x={MARGIN.left}
          y={MARGIN.top}
          width={PLOT_W}
          height={PLOT_H}
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
        />
      </svg>
    </figure>
  );
}
