import { useState } from 'react';
import type { FeatureExample } from '#shared/contract.ts';
import { ExampleEffect } from './ExampleEffect.tsx';
import { prepareExamples } from './examples.ts';
import { formatValue } from '../common/format.ts';
import { TokenStrip } from './TokenStrip.tsx';

/**
 * Example contexts, trimmed to `context` tokens a side, duplicates collapsed with a ×N badge.
 * With `effect`, each one can be expanded to the effect of zero-ablating the feature there.
 */
export function ExampleList({
  examples,
  context,
  max,
  testId,
  empty = 'No examples.',
  effect,
}: {
  examples: readonly FeatureExample[];
  context: number;
  max: number;
  testId?: string;
  empty?: string;
  effect?: { readonly db: string; readonly id: number };
}) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const shown = prepareExamples(examples, context);
  if (shown.length === 0) return <p className="py-2 text-sm text-zinc-500 dark:text-zinc-400">{empty}</p>;
  const toggle = (key: string): void =>
    setOpen((s) => {
      const next = new Set(s);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  return (
    <ol className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid={testId}>
      {shown.map(({ example, count, key }) => (
        <li key={key} className="py-1.5" data-testid="example" data-value={example.value} data-count={count}>
          <div className="flex items-start gap-3">
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
            {effect && (
              <button
                type="button"
                aria-expanded={open.has(key)}
                aria-label={`Effect of removing the feature at this token (window ${example.window}, position ${example.position})`}
                title="Zero-ablate the feature at this token and compare the next-token log-probabilities"
                onClick={() => toggle(key)}
                className="shrink-0 rounded border border-zinc-300 px-1.5 py-0.5 text-[11px] text-zinc-600 hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-violet-500 aria-expanded:bg-violet-50 aria-expanded:text-violet-800 dark:border-zinc-700 dark:text-zinc-300 dark:hover:bg-zinc-800 dark:aria-expanded:bg-violet-500/10 dark:aria-expanded:text-violet-200"
              >
                Effect
              </button>
            )}
          </div>
          {effect && open.has(key) && (
            <div className="mt-1.5 ml-15">
              <ExampleEffect db={effect.db} id={effect.id} window={example.window} position={example.position} />
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}
