import { useEffect, useRef } from 'react';
import type { RankedToken } from '../../../../shared/explorer-types.ts';
import { cx } from '../../components/ui.tsx';
import { href } from '../../routes.ts';
import { useTheme } from '../../theme.ts';
import { activationColour } from './colour.ts';
import { visibleToken } from './examples.ts';
import { formatValue } from './format.ts';
import { inSpan, spanOf, type TokenSpan } from './prompt-span.ts';

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
  const anchor = useRef<number | null>(null);
  const dragging = useRef(false);
  useEffect(() => {
    const up = (): void => void (dragging.current = false);
    window.addEventListener('mouseup', up);
    return () => window.removeEventListener('mouseup', up);
  }, []);

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
              onMouseDown={(e) => {
                if (e.shiftKey && anchor.current !== null) {
                  onSpan(spanOf(anchor.current, i));
                } else {
                  anchor.current = i;
                  dragging.current = true;
                  onSpan(spanOf(i, i));
                }
                e.preventDefault();
              }}
              onMouseEnter={() => {
                if (dragging.current && anchor.current !== null) onSpan(spanOf(anchor.current, i));
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  if (e.shiftKey && anchor.current !== null) onSpan(spanOf(anchor.current, i));
                  else {
                    anchor.current = i;
                    onSpan(spanOf(i, i));
                  }
                }
              }}
              style={colour ? { backgroundColor: colour } : undefined}
              className={cx(
                'w-28 shrink-0 truncate rounded px-1 py-0.5 text-left font-mono text-xs whitespace-pre focus-visible:outline-2 focus-visible:outline-violet-500',
                t.bos ? 'text-zinc-400 italic' : 'text-zinc-900 dark:text-zinc-100',
                selected ? 'ring-1 ring-violet-400' : 'hover:bg-zinc-100 dark:hover:bg-zinc-800',
              )}
            >
              {t.bos ? 'BOS' : visibleToken(t.text)}
            </button>
            <span className="flex min-w-0 flex-1 flex-wrap gap-1">
              {t.latents.length === 0 && <span className="text-xs text-zinc-400">—</span>}
              {t.latents.map(([f, v]) => (
                <a
                  key={f}
                  href={href('features', [f])}
                  className={cx(
                    'rounded px-1.5 py-0.5 font-mono text-[11px] ring-1 ring-inset focus-visible:outline-2 focus-visible:outline-violet-500',
                    f === highlight
                      ? 'bg-orange-100 text-orange-900 ring-orange-300 dark:bg-orange-500/20 dark:text-orange-200 dark:ring-orange-500/40'
                      : 'text-zinc-700 ring-zinc-200 hover:bg-zinc-50 dark:text-zinc-300 dark:ring-zinc-700 dark:hover:bg-zinc-800',
                  )}
                  data-testid="token-feature"
                  title={`feature ${f}: ${formatValue(v)}`}
                >
                  #{f} <span className="text-zinc-400">{formatValue(v)}</span>
                </a>
              ))}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
