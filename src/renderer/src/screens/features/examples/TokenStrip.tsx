import { cx } from '../../../components/ui.tsx';
import { useTheme } from '../../../theme.ts';
import { activationColour } from './colour.ts';
import type { ShownExample } from './examples.ts';
import { formatValue } from '../common/format.ts';
import { visibleToken } from './examples.ts';

/** An example's tokens, each shaded by this feature's activation (value on hover), the activating one outlined. */
export function TokenStrip({ example, max }: { example: ShownExample; max: number }) {
  const { dark } = useTheme();
  return (
    <span className="font-mono text-xs leading-6 break-words whitespace-pre-wrap" data-testid="token-strip">
      {example.tokens.map((t, i) => {
        const v = example.values[i] ?? 0;
        const colour = activationColour(v, max, dark);
        return (
          <span
            key={i}
            title={`${JSON.stringify(t)} · ${formatValue(v)}`}
            data-value={v}
            data-active={i === example.active || undefined}
            style={colour ? { backgroundColor: colour } : undefined}
            className={cx(
              'rounded-[2px] py-0.5',
              i === example.active && 'font-semibold text-zinc-950 outline-2 outline-orange-600 dark:text-white dark:outline-orange-400',
            )}
          >
            {visibleToken(t)}
          </span>
        );
      })}
    </span>
  );
}
