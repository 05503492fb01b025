import { Checkbox } from '../../../components/Checkbox.tsx';
import { InlineError, inputClass, primaryButtonClass, Segmented } from '../common/explorer-ui.tsx';

/** Options of a ranking. */
export interface RankOptions {
  sort: 'max' | 'sum';
  ignoreBos: boolean;
  cutoff: string;
}

/** The prompt (Ctrl+Enter inspects it) and the ranking's options. */
export function PromptForm({
  text,
  setText,
  onInspect,
  autoFocus,
  db,
  options,
  setOptions,
  cutoffError,
}: {
  text: string;
  setText: (text: string) => void;
  onInspect: () => void;
  autoFocus: boolean;
  db: string | null;
  options: RankOptions;
  setOptions: (options: RankOptions) => void;
  cutoffError: string | null;
}) {
  return (
    <form
      aria-label="Inspect a prompt"
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        onInspect();
      }}
    >
      <textarea
        aria-label="Prompt"
        aria-keyshortcuts="Control+Enter"
        value={text}
        rows={3}
        autoFocus={autoFocus}
        placeholder="Type or paste text, e.g. The house was built two hundred years ago."
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            onInspect();
          }
        }}
        className={`${inputClass} block w-full font-mono text-sm`}
      />
      <RankOptionsRow text={text} db={db} options={options} setOptions={setOptions} cutoffError={cutoffError} />
    </form>
  );
}

/** Inspect, and the ranking's options: by max or sum, a density cutoff (needs an index), BOS left out. */
function RankOptionsRow({
  text,
  db,
  options,
  setOptions,
  cutoffError,
}: {
  text: string;
  db: string | null;
  options: RankOptions;
  setOptions: (options: RankOptions) => void;
  cutoffError: string | null;
}) {
  return (
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
  );
}
