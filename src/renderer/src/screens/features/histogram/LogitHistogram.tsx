import { Bar, BarChart, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { LogitHistogram as Histogram } from '#shared/explorer-types.ts';
import { useTheme } from '../../../theme.ts';
import { chartColours } from './chart-colours.ts';
import { formatCount } from '../common/format.ts';

/** Bar colours by sign: the tokens a feature promotes (positive) and suppresses (negative). */
const tones = { up: { light: '#059669', dark: '#34d399' }, down: { light: '#e11d48', dark: '#fb7185' } } as const;

/**
 * The feature's logit effect on every token of the vocabulary, binned (SAEDashboard's logits
 * histogram): most tokens sit near zero; the tails are the promoted and suppressed lists.
 */
export function LogitHistogram({ histogram }: { histogram: Histogram }) {
  const { dark } = useTheme();
  const c = chartColours(dark);
  const h = histogram;
  const data = h.barHeights.map((count, i) => ({ i, count, value: h.barValues[i]! }));
  const zero = data.findIndex((d) => d.value + h.binWidth / 2 > 0);
  return (
    <div
      className="h-28 w-full"
      data-testid="logit-histogram"
      data-bins={data.length}
      aria-label="Histogram of logit effects over the vocabulary"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} barCategoryGap={0} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
          <XAxis
            dataKey="i"
            tickFormatter={(i: number) => (data[i]?.value ?? 0).toFixed(1)}
            interval={9}
            tick={{ fontSize: 10, fill: c.text }}
            stroke={c.axis}
          />
          <YAxis width={40} tick={{ fontSize: 10, fill: c.text }} stroke={c.axis} allowDecimals={false} />
          <Tooltip
            isAnimationActive={false}
            cursor={{ fill: c.cursor }}
            content={({ active, payload }) => {
              const p = payload?.[0]?.payload as { value: number; count: number } | undefined;
              if (!active || !p) return null;
              return (
                <div className="rounded-md border border-zinc-200 bg-white px-2 py-1 text-xs shadow dark:border-zinc-700 dark:bg-zinc-900">
                  <span className="font-mono">
                    {(p.value - h.binWidth / 2).toFixed(2)}–{(p.value + h.binWidth / 2).toFixed(2)}
                  </span>
                  : {formatCount(p.count)} tokens
                </div>
              );
            }}
          />
          <Bar dataKey="count" isAnimationActive={false}>
            {data.map((d) => (
              <Cell key={d.i} fill={(d.value >= 0 ? tones.up : tones.down)[dark ? 'dark' : 'light']} />
            ))}
          </Bar>
          {zero > 0 && <ReferenceLine x={zero} stroke={c.axis} strokeDasharray="2 2" />}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
