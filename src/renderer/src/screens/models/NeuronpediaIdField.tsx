import type { FormEvent } from 'react';
import { formatNeuronpediaId } from '#shared/neuronpedia.ts';
import { textInputClass } from '../../components/TextField.tsx';
import { Button } from '../../components/ui.tsx';
import { useNeuronpediaId } from './use-neuronpedia-id.ts';

/**
 * The open SAE's Neuronpedia ids (`MODEL/LAYER`): what its cfg.json or the catalog says, or
 * what the user sets here (kept in the data folder under the SAE's weights hash). Feature
 * pages link to Neuronpedia with them; Neuronpedia exports and imports are matched by them.
 */
export function NeuronpediaIdField() {
  const { state, reload, current, text, setText, error, busy, save } = useNeuronpediaId();

  if (state.status === 'error') {
    return (
      <p className="text-xs text-rose-600 dark:text-rose-400">
        Neuronpedia ids unavailable: {state.error.message} <Button onClick={reload}>Retry</Button>
      </p>
    );
  }
  if (!current) return null;

  const where =
    current.source === 'user'
      ? 'set here'
      : current.source === 'sae'
        ? "from the SAE's cfg.json or the SAE catalog"
        : 'none known: set it to link features to Neuronpedia and to match its exports';
  return (
    <form
      className="mt-1 grid grid-cols-[10rem_1fr] gap-3 py-1 text-sm"
      aria-label="Neuronpedia id"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void save(text);
      }}
      data-testid="neuronpedia-id"
      data-source={current.source ?? 'none'}
    >
      <label htmlFor="neuronpedia-id-input" className="text-zinc-500 dark:text-zinc-400">
        Neuronpedia id
      </label>
      <div className="min-w-0">
        <div className="flex flex-wrap items-center gap-2">
          <input
            id="neuronpedia-id-input"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="MODEL/LAYER, e.g. gpt2-small/8-res-jb"
            aria-invalid={error !== null}
            className={`${textInputClass} mt-0 max-w-80`}
          />
          <Button type="submit" disabled={busy}>
            Save
          </Button>
          {current.source === 'user' && (
            <Button onClick={() => void save(null)} disabled={busy}>
              {current.fromSae ? `Use the SAE’s (${formatNeuronpediaId(current.fromSae)})` : 'Clear'}
            </Button>
          )}
        </div>
        <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">{where}</p>
        {error && (
          <p role="alert" className="mt-1 text-xs text-rose-600 dark:text-rose-400">
            {error}
          </p>
        )}
      </div>
    </form>
  );
}
