import type { FeatureExample } from '../../../../shared/contract.ts';
import { prepareExamples } from './examples.ts';
import { formatValue } from './format.ts';
import { TokenStrip } from './TokenStrip.tsx';

/** Example contexts, trimmed to `context` tokens a side, duplicates collapsed with a ×N badge. */
export function ExampleList({
  examples,
  context,
  max,
  testId,
  empty = 'No examples.',
}: {
  examples: readonly FeatureExample[];
  context: number;
  max: number;
  testId?: string;
  empty?: string;
}) {
  const shown = prepareExamples(examples, context);
  if (shown.length === 0) return <p className="py-2 text-sm text-zinc-500 dark:text-zinc-400">{empty}</p>;
  return (
    <ol className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid={testId}>
      {shown.map(({ example, count, key }) => (
        <li key={key} className="flex items-start gap-3 py-1.5" data-testid="example" data-value={example.value} data-count={count}>
          <span className="w-12 shrink-0 pt-0.5 text-right font-mono text-xs text-zinc-500 dark:text-zinc-400" title="activation">
            {formatValue(example.value)}
          </span>
          <span className="min-w-0 flex-1">
            <TokenStrip example={example} max={max} />
          </span>
          {count > 1 && (
            <span
              className="shrink-0 rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-[11px] text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300"
              title={`${count} identical contexts`}
              data-testid="duplicates"
            >
              ×{count}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}
