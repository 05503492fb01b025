import type { RankedToken } from '#shared/explorer-types.ts';
import { cx } from '../../../components/ui.tsx';
import { useTheme } from '../../../theme.ts';
import { activationColour } from '../examples/colour.ts';
import { visibleToken } from '../examples/examples.ts';
import { inSpan, type TokenSpan } from './prompt-span.ts';
import { TokenFeatures } from './TokenFeatures.tsx';
import { useSpanSelect } from './use-span-select.ts';

/**
 * The prompt's tokens, one row each with its strongest features (links to their pages).
 * Click selects a token, shift-click or drag selects a span; when a ranked feature is
 * hovered (`highlight`), tokens are shaded by its activation.
 */
export function PromptTokens({
  tokens,
  span,
  onSpan,
  highlight,
}: {
  tokens: readonly RankedToken[];
  span: TokenSpan | null;
  onSpan: (s: TokenSpan) => void;
  highlight: number | null;
}) {
  const { dark } = useTheme();
  const select = useSpanSelect(onSpan);

  const valueOf = (t: RankedToken, f: number): number => t.latents.find(([id]) => id === f)?.[1] ?? 0;
  const hmax = highlight === null ? 0 : Math.max(0, ...tokens.map((t) => valueOf(t, highlight)));

  return (
    <ol
      className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800"
      data-testid="prompt-tokens"
    >
      {tokens.map((t, i) => {
        const selected = inSpan(span, i);
        const colour = highlight === null ? undefined : activationColour(valueOf(t, highlight), hmax, dark);
        return (
          <li
            key={i}
            className={cx('flex items-start gap-3 px-3 py-1', selected && 'bg-violet-50 dark:bg-violet-500/10')}
            data-testid="prompt-token"
          >
            <span className="w-7 shrink-0 pt-0.5 text-right font-mono text-[11px] text-zinc-400">{i}</span>
            <button
              type="button"
              aria-pressed={selected}
              aria-label={`Token ${i}: ${JSON.stringify(t.text)}${t.bos ? ' (BOS)' : ''}`}
              {...select(i)}
              style={colour ? { backgroundColor: colour } : undefined}
              className={cx(
                'w-28 shrink-0 truncate rounded px-1 py-0.5 text-left font-mono text-xs whitespace-pre focus-visible:outline-2 focus-visible:outline-violet-500',
                t.bos ? 'text-zinc-400 italic' : 'text-zinc-900 dark:text-zinc-100',
                selected ? 'ring-1 ring-violet-400' : 'hover:bg-zinc-100 dark:hover:bg-zinc-800',
              )}
            >
              {t.bos ? 'BOS' : visibleToken(t.text)}
            </button>
            <TokenFeatures latents={t.latents} highlight={highlight} />
          </li>
        );
      })}
    </ol>
  );
}
