import { Bar, BarChart, CartesianGrid, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTheme } from '../../../theme.ts';
import { formatCount, formatValue } from '../common/format.ts';
import { chartColours } from './chart-colours.ts';
import { PlotAreaProbe } from './PlotAreaProbe.tsx';
import { binBounds, binsOfRange, type ActivationRange } from './range.ts';
import { useBinDrag } from './use-bin-drag.ts';

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
  const { drag, box, plot, onMouseDown, onMouseMove } = useBinDrag(histogram.length, max, onRange);
  const data = histogram.map((count, bin) => ({ bin, count, ...binBounds(bin, max, histogram.length) }));

  const shown = drag ?? (range ? binsOfRange(range, max, histogram.length) : null);
  return (
    <div
      ref={box}
      data-testid="activation-histogram"
      className="h-48 w-full select-none"
      aria-label="Activation histogram: drag across bars to sample that range"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart
          data={data}
          barCategoryGap={1}
          margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
          onMouseDown={onMouseDown}
          onMouseMove={onMouseMove}
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
            content={({ active, payload }) => <BinTooltip active={active} bin={payload?.[0]?.payload as Bin | undefined} />}
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

/** A bar of the histogram. */
interface Bin {
  lo: number;
  hi: number;
  count: number;
}

/** A bar's activation range and count, under the pointer. */
function BinTooltip({ active, bin: p }: { active: boolean | undefined; bin: Bin | undefined }) {
  if (!active || !p) return null;
  return (
    <div className="rounded-md border border-zinc-200 bg-white px-2 py-1 text-xs shadow dark:border-zinc-700 dark:bg-zinc-900">
      <span className="font-mono">
        {formatValue(p.lo)}–{formatValue(p.hi)}
      </span>
      : {formatCount(p.count)}
    </div>
  );
}
