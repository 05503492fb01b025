import { useEffect, useRef, useState, type RefObject } from 'react';
import { Bar, BarChart, CartesianGrid, ReferenceArea, ResponsiveContainer, Tooltip, usePlotArea, XAxis, YAxis } from 'recharts';
import type { MouseHandlerDataParam } from 'recharts';
import { useTheme } from '../../theme.ts';
import { formatCount, formatValue } from './format.ts';
import { binAtX, binBounds, binsOfRange, rangeOfBins, type ActivationRange } from './range.ts';
import { chartColours } from './chart-colours.ts';

/** The bin under the pointer, from a chart event. */
function binAt(s: MouseHandlerDataParam): number | null {
  const v = s.activeLabel ?? s.activeTooltipIndex;
  const n = Number(v);
  return v === undefined || v === null || Number.isNaN(n) ? null : n;
}

/** Reports the chart's plot area (inside the chart, where recharts' hooks work). */
function PlotAreaProbe({ into }: { into: RefObject<{ x: number; width: number } | null> }) {
  const area = usePlotArea();
  useEffect(() => {
    into.current = area ? { x: area.x, width: area.width } : null;
  });
  return null;
}

/**
 * The feature's 50-bin activation histogram. Dragging across bars selects an activation
 * range (shaded); the selection of `range` is shown whatever set it.
 */
export function ActivationHistogram({
  histogram,
  max,
  range,
  onRange,
}: {
  histogram: readonly number[];
  max: number;
  range: ActivationRange | null;
  onRange: (r: ActivationRange) => void;
}) {
  const { dark } = useTheme();
  const c = chartColours(dark);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const dragRef = useRef(drag);
  dragRef.current = drag;
  const data = histogram.map((count, bin) => ({ bin, count, ...binBounds(bin, max, histogram.length) }));

  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<{ x: number; width: number } | null>(null);

  // A drag may end outside the chart: finish it on any mouseup, at the pointer's bin
  // (recharts throttles its move events, so the last ones may not have arrived).
  const dragging = drag !== null;
  useEffect(() => {
    if (!dragging) return;
    const up = (e: MouseEvent): void => {
      const d = dragRef.current;
      setDrag(null);
      if (!d) return;
      const left = box.current?.getBoundingClientRect().left;
      const to = left !== undefined && plot.current ? binAtX(e.clientX, left + plot.current.x, plot.current.width, histogram.length) : d.to;
      onRange(rangeOfBins(d.from, to, max, histogram.length));
    };
    window.addEventListener('mouseup', up);
    return () => window.removeEventListener('mouseup', up);
  }, [dragging, max, histogram.length, onRange]);

  const shown = drag ?? (range ? binsOfRange(range, max, histogram.length) : null);
  return (
    <div
      data-testid="activation-histogram"
      className="h-48 w-full select-none"
      aria-label="Activation histogram: drag across bars to sample that range"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart
          data={data}
          barCategoryGap={1}
          margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
          onMouseDown={(s) => {
            const b = binAt(s);
            if (b !== null) setDrag({ from: b, to: b });
          }}
          onMouseMove={(s) => {
            const b = binAt(s);
            if (b !== null && dragRef.current) setDrag({ from: dragRef.current.from, to: b });
          }}
          className="cursor-crosshair"
        >
          <PlotAreaProbe into={plot} />
          <CartesianGrid vertical={false} stroke={c.grid} />
          <XAxis
            dataKey="bin"
            tickFormatter={(b: number) => formatValue(binBounds(b, max, histogram.length).lo)}
            interval={9}
            tick={{ fontSize: 11, fill: c.text }}
            stroke={c.axis}
          />
          <YAxis width={44} tick={{ fontSize: 11, fill: c.text }} stroke={c.axis} allowDecimals={false} />
          <Tooltip
            cursor={{ fill: c.cursor }}
            isAnimationActive={false}
            content={({ active, payload }) => {
              const p = payload?.[0]?.payload as { lo: number; hi: number; count: number } | undefined;
              if (!active || !p) return null;
              return (
                <div className="rounded-md border border-zinc-200 bg-white px-2 py-1 text-xs shadow dark:border-zinc-700 dark:bg-zinc-900">
                  <span className="font-mono">
                    {formatValue(p.lo)}–{formatValue(p.hi)}
                  </span>
                  : {formatCount(p.count)}
                </div>
              );
            }}
          />
          <Bar dataKey="count" fill={c.bar} isAnimationActive={false} />
          {shown && (
            <ReferenceArea
              x1={Math.min(shown.from, shown.to)}
              x2={Math.max(shown.from, shown.to)}
              fill={c.selection}
              fillOpacity={0.25}
              stroke={c.selection}
              strokeOpacity={0.6}
              ifOverflow="visible"
            />
          )}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
