import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTheme } from '../../theme.ts';

/** One bar: a range and how many fall in it. */
export interface HistogramBin {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

function colours(dark: boolean): { bar: string; axis: string; text: string; cursor: string } {
  return dark
    ? { bar: '#a78bfa', axis: '#52525b', text: '#a1a1aa', cursor: 'rgba(255,255,255,0.06)' }
    : { bar: '#7c3aed', axis: '#a1a1aa', text: '#71717a', cursor: 'rgba(0,0,0,0.05)' };
}

/**
 * A histogram of precomputed bins (the density and similarity histograms of the Health
 * screen). `label` names a bin edge on the axis and in the tooltip; `unit` says what is counted.
 */
export function HealthHistogram({
  bins,
  label,
  unit,
  testId,
}: {
  bins: readonly HistogramBin[];
  label: (edge: number) => string;
  unit: string;
  testId: string;
}) {
  const { dark } = useTheme();
  const c = colours(dark);
  const data = bins.map((b, i) => ({ i, ...b }));
  return (
    <div className="h-40 w-full" data-testid={testId}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} barCategoryGap={0} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <XAxis
            dataKey="i"
            tickFormatter={(i: number) => label(data[i]?.lo ?? 0)}
            interval={Math.max(0, Math.ceil(data.length / 5) - 1)}
            tick={{ fontSize: 11, fill: c.text }}
            stroke={c.axis}
          />
          <YAxis width={40} tick={{ fontSize: 11, fill: c.text }} stroke={c.axis} allowDecimals={false} />
          <Tooltip
            isAnimationActive={false}
            cursor={{ fill: c.cursor }}
            content={({ active, payload }) => {
              const p = payload?.[0]?.payload as HistogramBin | undefined;
              if (!active || !p) return null;
              return (
                <div className="rounded-md border border-zinc-200 bg-white px-2 py-1 text-xs shadow dark:border-zinc-700 dark:bg-zinc-900">
                  {label(p.lo)} – {label(p.hi)}: {p.count.toLocaleString()} {unit}
                </div>
              );
            }}
          />
          <Bar dataKey="count" fill={c.bar} fillOpacity={0.7} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
