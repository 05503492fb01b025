import { useState } from 'react';
import { Notice } from '../common/explorer-ui.tsx';
import { parseNumberish } from '../common/format.ts';
import { PromptForm, type RankOptions } from './PromptForm.tsx';
import { PromptRanking } from './PromptRanking.tsx';
import type { TokenSpan } from './prompt-span.ts';

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
      <PromptForm
        text={text}
        setText={setText}
        onInspect={inspect}
        autoFocus={!initialText}
        db={db}
        options={options}
        setOptions={setOptions}
        cutoffError={cutoffError}
      />
      {!submitted.trim() ? (
        <Notice title="Nothing inspected yet">
          Type a prompt and press Inspect (Ctrl+Enter) to see which features fire on each token.
        </Notice>
      ) : (
        <PromptRanking
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
