import { cx } from '../../../components/ui.tsx';
import { visibleToken } from '../examples/examples.ts';

/** Tokens as small chips with a count (× n), e.g. a feature's top activating tokens. */
export function TokenChips({
  tokens,
  label,
  testId,
  compact = false,
}: {
  tokens: readonly { readonly text: string; readonly count: number; readonly max?: number }[];
  label: string;
  testId?: string;
  /** One line, no wrapping (feature list rows). */
  compact?: boolean;
}) {
  return (
    <ul aria-label={label} data-testid={testId} className={cx('flex gap-1', compact ? 'min-w-0 overflow-hidden' : 'flex-wrap')}>
      {tokens.map((t) => (
        <li
          key={t.text}
          data-testid="token-chip"
          data-token={t.text}
          title={`${JSON.stringify(t.text)}: ${t.count} of the top examples${t.max === undefined ? '' : `, strongest ${t.max.toFixed(2)}`}`}
          className="inline-flex shrink-0 items-center gap-1 rounded bg-orange-50 px-1.5 py-px font-mono text-[11px] whitespace-pre text-orange-900 ring-1 ring-orange-200 ring-inset dark:bg-orange-500/10 dark:text-orange-200 dark:ring-orange-500/30"
        >
          {visibleToken(t.text)}
          <span className="text-orange-600/80 dark:text-orange-300/70">×{t.count}</span>
        </li>
      ))}
    </ul>
  );
}
