import { useEffect, useState } from 'react';
import type { SteerTokenized } from '../../../../shared/steer-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { visibleToken } from './format.ts';

/** The prompt as the model sees it, read again a moment after typing stops; null while unknown (no model). */
export function usePromptTokens(prompt: string, engineKey: unknown): SteerTokenized | null {
  const api = useApi();
  const [tokens, setTokens] = useState<SteerTokenized | null>(null);
  useEffect(() => {
    if (engineKey === null) {
      setTokens(null);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      void api.request('steer.tokenize', { prompt }).then((r) => {
        if (live) setTokens(r.ok ? r.value : null);
      });
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, prompt, engineKey]);
  return tokens;
}

/** The prompt's tokens numbered by position (for token ranges), and how many positions are left. */
export function PromptTokens({ tokens, maxNewTokens }: { tokens: SteerTokenized | null; maxNewTokens: number }) {
  if (!tokens) return null;
  const n = tokens.ids.length;
  const over = tokens.maxPositions !== null && n + maxNewTokens > tokens.maxPositions;
  return (
    <div className="mt-2">
      <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="prompt-token-count">
        {n} tokens{tokens.bos ? ' (position 0 is the BOS the SAE expects)' : ''}
        {tokens.maxPositions !== null && ` · the model has ${tokens.maxPositions} positions`}
        {over && (
          <span className="text-rose-600 dark:text-rose-400">
            {' '}
            · too long for {maxNewTokens} new tokens: lower max new tokens to {Math.max(0, tokens.maxPositions! - n)}
          </span>
        )}
      </p>
      {n > 0 && n <= 400 && (
        <ol className="mt-1.5 flex max-h-24 flex-wrap gap-1 overflow-y-auto" aria-label="Prompt tokens by position">
          {tokens.tokens.map((t, i) => (
            <li key={i} className="inline-flex items-baseline gap-1 rounded bg-zinc-100 px-1 font-mono text-[11px] dark:bg-zinc-800">
              <span className="text-[10px] text-zinc-400">{i}</span>
              <span className="whitespace-pre text-zinc-700 dark:text-zinc-300">{visibleToken(t)}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
