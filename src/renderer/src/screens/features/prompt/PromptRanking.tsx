import { useState } from 'react';
import { Button, ErrorNote } from '../../../components/ui.tsx';
import { Loading } from '../common/explorer-ui.tsx';
import { useLatestRequest } from '../common/use-latest-request.ts';
import { PromptTokens } from './PromptTokens.tsx';
import { spanText, type TokenSpan } from './prompt-span.ts';
import { RankingTable } from './RankingTable.tsx';

/** The prompt's tokens beside the features ranked over the selected span (or the whole prompt). */
export function PromptRanking({
  text,
  db,
  span,
  setSpan,
  sort,
  ignoreBos,
  maxDensity,
}: {
  text: string;
  db: string | null;
  span: TokenSpan | null;
  setSpan: (s: TokenSpan | null) => void;
  sort: 'max' | 'sum';
  ignoreBos: boolean;
  maxDensity: number | undefined;
}) {
  const payload = {
    text,
    ...(db ? { db } : {}),
    ...(span ? { span } : {}),
    sort,
    ignoreBos,
    ...(db && maxDensity !== undefined ? { maxDensity } : {}),
    top: 5,
    limit: 50,
  };
  const req = useLatestRequest('prompt.rank', payload);
  const [hover, setHover] = useState<number | null>(null);

  if (req.error) return <ErrorNote title="Could not run the prompt" message={req.error.message} onRetry={req.reload} />;
  // An older answer may stay while a span or an option changes, not when the text did (its tokens would not match).
  if (!req.value || req.answered?.text !== text) return <Loading what="the prompt’s features" />;
  const r = req.value;
  const tokens = r.tokens.map((t) => t.text);
  return (
    <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_24rem]">
      <section aria-label="Tokens" className="min-w-0">
        <p className="mb-2 text-xs text-zinc-500 dark:text-zinc-400">
          Click a token to rank over it; shift-click or drag to select a span.
          {r.truncatedAt !== null && ` Only each token’s ${r.truncatedAt} strongest latents are captured.`}
        </p>
        <PromptTokens tokens={r.tokens} span={span} onSpan={setSpan} highlight={hover} />
      </section>
      <section aria-label="Ranked features" className="min-w-0">
        <div className="mb-2 flex items-center gap-2 text-xs text-zinc-500 dark:text-zinc-400">
          <span className="min-w-0 flex-1 truncate" data-testid="rank-span">
            {span ? (
              <>
                Tokens {span.from}–{span.to - 1}: <span className="font-mono whitespace-pre">“{spanText(tokens, span)}”</span>
              </>
            ) : (
              'Whole prompt'
            )}{' '}
            · by {sort}
            {req.loading && ' · ranking…'}
          </span>
          {span && <Button onClick={() => setSpan(null)}>Whole prompt</Button>}
        </div>
        <RankingTable
          ranking={r.ranking}
          sort={sort}
          onHover={setHover}
          answers={req.loading ? null : `${r.span.from}-${r.span.to}:${sort}`}
        />
      </section>
    </div>
  );
}
