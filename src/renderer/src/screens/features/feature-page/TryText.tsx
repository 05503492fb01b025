import { useState } from 'react';
import type { FeatureOnText } from '#shared/explorer-types.ts';
import { useApi } from '../../../api/api-context.tsx';
import { InlineError, inputClass, primaryButtonClass } from '../common/explorer-ui.tsx';
import { formatValue } from '../common/format.ts';
import { TokenStrip } from '../examples/TokenStrip.tsx';

/** "Try your own text": this feature's activation on every token of typed text, shaded against its max on the corpus. */
export function TryText({ id, max }: { id: number; max: number }) {
  const api = useApi();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ text: string; value: FeatureOnText } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (): Promise<void> => {
    const t = text;
    if (!t.trim()) return;
    setBusy(true);
    setError(null);
    const reply = await api.request('feature.onText', { id, text: t });
    setBusy(false);
    if (reply.ok) setResult({ text: t, value: reply.value });
    else setError(reply.error.message);
  };

  const shown = result?.value.tokens.filter((t) => !t.bos) ?? [];
  const peak = shown.reduce((best, t, i) => (t.value > (shown[best]?.value ?? 0) ? i : best), -1);
  return (
    <div className="space-y-3">
      <form
        aria-label="Try your own text"
        className="flex flex-col gap-2 sm:flex-row sm:items-start"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <textarea
          aria-label="Text to try"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void run();
            }
          }}
          rows={2}
          placeholder="Type text to see where this feature fires (Ctrl+Enter)"
          className={`${inputClass} min-w-0 flex-1 resize-y font-mono text-xs`}
        />
        <button type="submit" className={primaryButtonClass} disabled={busy || !text.trim()}>
          {busy ? 'Running…' : 'Run'}
        </button>
      </form>
      {error && <InlineError>{error}</InlineError>}
      {result && (
        <div data-testid="try-text-result" data-max={result.value.max}>
          <TokenStrip
            example={{
              tokens: shown.map((t) => t.text),
              values: shown.map((t) => t.value),
              active: peak,
              value: result.value.max,
              window: 0,
              position: 0,
            }}
            max={max > 0 ? max : result.value.max}
          />
          <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
            {result.value.max > 0
              ? `Strongest here ${formatValue(result.value.max)}${max > 0 ? ` (${Math.round((result.value.max / max) * 100)}% of its max on the corpus)` : ''}; hover a token for its value.`
              : 'The feature does not fire on this text.'}
            {result.value.truncatedAt !== null && ` Values below each token's top ${result.value.truncatedAt} latents read 0.`}
          </p>
        </div>
      )}
    </div>
  );
}
