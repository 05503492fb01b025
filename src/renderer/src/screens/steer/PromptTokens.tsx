import { useEffect, useState } from 'react';
import type { PayloadInput } from '#shared/contract.ts';
import type { ChatRole, PromptSegment, SteerTokenized } from '#shared/steer-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { cx } from '../../components/ui.tsx';
import { visibleToken } from './format.ts';

/** The prompt (or chat) as the model sees it, read again a moment after typing stops; null while unknown (no model). */
export function usePromptTokens(
  payload: PayloadInput<'steer.tokenize'>,
  engineKey: unknown,
): { tokens: SteerTokenized | null; error: string | null } {
  const api = useApi();
  const [state, setState] = useState<{ tokens: SteerTokenized | null; error: string | null }>({ tokens: null, error: null });
  const key = JSON.stringify(payload);
  useEffect(() => {
    if (engineKey === null) {
      setState({ tokens: null, error: null });
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      void api.request('steer.tokenize', JSON.parse(key) as PayloadInput<'steer.tokenize'>).then((r) => {
        if (live) setState(r.ok ? { tokens: r.value, error: null } : { tokens: null, error: r.error.message });
      });
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, key, engineKey]);
  return state;
}

const roleTone: Record<ChatRole, string> = {
  user: 'bg-violet-100 text-violet-900 dark:bg-violet-500/20 dark:text-violet-100',
  system: 'bg-amber-100 text-amber-900 dark:bg-amber-500/20 dark:text-amber-100',
  assistant: 'bg-sky-100 text-sky-900 dark:bg-sky-500/20 dark:text-sky-100',
};

/** The role whose text holds position i, or null for the template's own tokens (and BOS). */
function roleAt(segments: readonly PromptSegment[], i: number): ChatRole | null {
  return segments.find((s) => i >= s.from && i < s.to)?.role ?? null;
}

/** The prompt's tokens numbered by position (for token ranges), which hold which message's text, and how many positions are left. */
export function PromptTokens({ tokens, maxNewTokens, chat }: { tokens: SteerTokenized | null; maxNewTokens: number; chat: boolean }) {
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
      {chat && n > 0 && (
        <p className="mt-1 flex flex-wrap items-center gap-2 text-[11px] text-zinc-500 dark:text-zinc-400" data-testid="prompt-segments">
          {tokens.segments.length ? (
            <>
              {(['system', 'user', 'assistant'] as const)
                .filter((r) => tokens.segments.some((s) => s.role === r))
                .map((r) => (
                  <span key={r} className={cx('rounded px-1', roleTone[r])}>
                    {r} text
                  </span>
                ))}
              <span className="rounded bg-zinc-100 px-1 dark:bg-zinc-800">template tokens</span>
              <span>(“user text only” steers the first kind alone)</span>
            </>
          ) : (
            <span className="text-amber-700 dark:text-amber-300">
              The template changes the messages’ text, so message text cannot be told from template tokens here.
            </span>
          )}
        </p>
      )}
      {n > 0 && n <= 400 && (
        <ol className="mt-1.5 flex max-h-24 flex-wrap gap-1 overflow-y-auto" aria-label="Prompt tokens by position">
          {tokens.tokens.map((t, i) => {
            const role = chat ? roleAt(tokens.segments, i) : null;
            return (
              <li
                key={i}
                data-role={role ?? (chat ? 'template' : undefined)}
                className={cx(
                  'inline-flex items-baseline gap-1 rounded px-1 font-mono text-[11px]',
                  role ? roleTone[role] : 'bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300',
                )}
              >
                <span className="text-[10px] opacity-60">{i}</span>
                <span className="whitespace-pre">{visibleToken(t)}</span>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
