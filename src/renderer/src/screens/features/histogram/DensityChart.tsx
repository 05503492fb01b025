import { Bar, BarChart, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DensityBin } from '#shared/contract.ts';
import { useTheme } from '../../../theme.ts';
import { chartColours } from './chart-colours.ts';
import { log10Label, placeDensity } from './density.ts';
import { formatCount, formatDensity } from '../common/format.ts';

/** The across-feature log10-density histogram with this feature's place marked. */
export function DensityChart({ bins, density }: { bins: readonly DensityBin[]; density: number }) {
  const { dark } = useTheme();
  const c = chartColours(dark);
  const place = placeDensity(bins, density);
  const data = bins.map((b, i) => ({ i, mid: (b.lo + b.hi) / 2, count: b.count, lo: b.lo, hi: b.hi }));
  return (
    <div>
      <div className="h-32 w-full" data-testid="density-chart">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} barCategoryGap={0} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <XAxis
              dataKey="i"
              tickFormatter={(i: number) => log10Label(data[i]?.mid ?? 0)}
              interval={9}
              tick={{ fontSize: 11, fill: c.text }}
              stroke={c.axis}
            />
            <YAxis width={36} tick={{ fontSize: 11, fill: c.text }} stroke={c.axis} allowDecimals={false} />
            <Tooltip
              isAnimationActive={false}
              cursor={{ fill: c.cursor }}
              content={({ active, payload }) => {
                const p = payload?.[0]?.payload as { lo: number; hi: number; count: number } | undefined;
                if (!active || !p) return null;
                return (
                  <div className="rounded-md border border-zinc-200 bg-white px-2 py-1 text-xs shadow dark:border-zinc-700 dark:bg-zinc-900">
                    density {log10Label(p.lo)}–{log10Label(p.hi)}: {formatCount(p.count)} features
                  </div>
                );
              }}
            />
            <Bar dataKey="count" isAnimationActive={false}>
              {data.map((d) => (
                <Cell key={d.i} fill={d.i === place.bin ? c.marker : c.bar} fillOpacity={d.i === place.bin ? 1 : 0.55} />
              ))}
            </Bar>
            {place.bin !== null && <ReferenceLine x={place.bin} stroke={c.marker} strokeDasharray="3 3" />}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400" data-testid="density-place">
        {place.bin === null && !(density > 0)
          ? 'This feature never fires on the corpus (dead).'
          : `Density ${formatDensity(density)}: denser than ${Math.round(place.sparserShare * 100)}% of live features.`}
      </p>
    </div>
  );
}
