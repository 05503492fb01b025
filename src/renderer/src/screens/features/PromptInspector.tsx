import { useState } from 'react';
import { Checkbox } from '../../components/Checkbox.tsx';
import { Button, ErrorNote } from '../../components/ui.tsx';
import { InlineError, inputClass, Loading, Notice, primaryButtonClass, Segmented } from './explorer-ui.tsx';
import { parseNumberish } from './format.ts';
import { PromptTokens } from './PromptTokens.tsx';
import { spanText, type TokenSpan } from './prompt-span.ts';
import { RankingTable } from './RankingTable.tsx';
import { useLatestRequest } from './use-latest-request.ts';

/** Options of a ranking. */
interface RankOptions {
  sort: 'max' | 'sum';
  ignoreBos: boolean;
  cutoff: string;
}

/**
 * Type or paste text: each token with its top features; select a span of tokens to rank
 * features over it by max or sum, with a density cutoff and BOS left out.
 */
export function PromptInspector({ db, initialText }: { db: string | null; initialText: string }) {
  const [text, setText] = useState(initialText);
  const [submitted, setSubmitted] = useState(initialText.trim() ? initialText : '');
  const [span, setSpan] = useState<TokenSpan | null>(null);
  const [options, setOptions] = useState<RankOptions>({ sort: 'max', ignoreBos: true, cutoff: '' });
  const cutoff = parseNumberish(options.cutoff);
  const cutoffError =
    cutoff !== undefined && (Number.isNaN(cutoff) || cutoff < 0 || cutoff > 1) ? 'the density cutoff is a share between 0 and 100%' : null;

  const inspect = (): void => {
    setSpan(null);
    setSubmitted(text);
  };

  return (
    <div className="space-y-4">
      <form
        aria-label="Inspect a prompt"
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          inspect();
        }}
      >
        <textarea
          aria-label="Prompt"
          aria-keyshortcuts="Control+Enter"
          value={text}
          rows={3}
          autoFocus={!initialText}
          placeholder="Type or paste text, e.g. The house was built two hundred years ago."
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              inspect();
            }
          }}
          className={`${inputClass} block w-full font-mono text-sm`}
        />
        <div className="flex flex-wrap items-center gap-3 text-xs text-zinc-500 dark:text-zinc-400">
          <button type="submit" className={primaryButtonClass} disabled={!text.trim()}>
            Inspect
          </button>
          <span className="flex items-center gap-1.5">
            Rank by
            <Segmented
              label="Rank by"
              options={[
                { value: 'max', label: 'max' },
                { value: 'sum', label: 'sum' },
              ]}
              value={options.sort}
              onChange={(sort) => setOptions({ ...options, sort })}
            />
          </span>
          <label className="flex items-center gap-1.5" title={db ? undefined : 'Needs a complete index'}>
            Leave out features denser than
            <input
              aria-label="Density cutoff"
              value={options.cutoff}
              disabled={!db}
              placeholder={db ? 'e.g. 1%' : 'no index'}
              onChange={(e) => setOptions({ ...options, cutoff: e.target.value })}
              className={`${inputClass} w-20 py-1 text-xs`}
            />
          </label>
          <Checkbox checked={options.ignoreBos} onChange={(ignoreBos) => setOptions({ ...options, ignoreBos })}>
            Ignore BOS
          </Checkbox>
          {cutoffError && <InlineError>{cutoffError}</InlineError>}
        </div>
      </form>
      {!submitted.trim() ? (
        <Notice title="Nothing inspected yet">
          Type a prompt and press Inspect (Ctrl+Enter) to see which features fire on each token.
        </Notice>
      ) : (
        <Ranking
          text={submitted}
          db={db}
          span={span}
          setSpan={setSpan}
          sort={options.sort}
          ignoreBos={options.ignoreBos}
          maxDensity={cutoffError || cutoff === undefined ? undefined : cutoff}
        />
      )}
    </div>
  );
}

function Ranking({
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
