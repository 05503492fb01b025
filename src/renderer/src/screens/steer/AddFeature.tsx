import { useState, type FormEvent } from 'react';
import type { FeatureRow } from '#shared/explorer-types.ts';
import type { WorkspaceInfo } from '#shared/workspace-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { Button, cx } from '../../components/ui.tsx';
import { href } from '../../routes.ts';
import { short } from './format.ts';
import { inputClass } from './input-class.ts';
import { useAddFeature } from './use-add-feature.ts';

const isId = (q: string): boolean => /^\d+$/.test(q);

/** The features a search found, each with its Add button. */
function SearchResults({ results, query, add }: { results: readonly FeatureRow[]; query: string; add: (id: number) => void }) {
  return (
    <div className="mt-2 rounded-md border border-zinc-200 dark:border-zinc-800" aria-label="Search results">
      {results.length === 0 ? (
        <p className="px-3 py-2 text-xs text-zinc-500">No feature matches “{query}”.</p>
      ) : (
        <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {results.map((r) => (
            <li key={r.id} className="flex items-center gap-3 px-3 py-1.5 text-xs">
              <span className="w-12 font-mono">#{r.id}</span>
              <span className="min-w-0 flex-1 truncate">{r.label ?? <span className="text-zinc-400">unlabelled</span>}</span>
              <span className="text-zinc-500 tabular-nums">max {short(r.max)}</span>
              <Button label={`Add feature ${r.id}`} onClick={() => add(r.id)}>
                Add
              </Button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A number adds that feature; words search the index (top tokens, or labels and notes). */
function useAddOrSearch(workspace: WorkspaceInfo | null) {
  const api = useApi();
  const { add } = useAddFeature();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<readonly FeatureRow[] | null>(null);
  const [kind, setKind] = useState<'token' | 'text'>('token');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const q = text.trim();
    if (!q) return;
    setBusy(true);
    setError(null);
    setResults(null);
    if (isId(q)) {
      const err = await add(Number(q));
      if (err) setError(err);
      else setText('');
    } else if (!workspace?.db || workspace.index?.state !== 'complete') {
      setError(
        workspace?.db
          ? 'Search needs the index, which is still being built (see Models). Until then, add features by id.'
          : 'Search needs an index of a corpus for this model and SAE (no index yet: open a corpus in Models). Until then, add features by id.',
      );
    } else {
      const reply = await api.request('feature.search', { db: workspace.db, query: { kind, text: q }, limit: 8 });
      if (reply.ok) setResults(reply.value.rows);
      else setError(reply.error.message);
    }
    setBusy(false);
  };
  const addFound = (id: number): void =>
    void add(id).then((err) => {
      if (err) setError(err);
      else setResults(null);
    });
  return { text, setText, busy, error, results, kind, setKind, submit, addFound };
}

/** Adds a feature to steer, by id or by search. */
export function AddFeature({ workspace }: { workspace: WorkspaceInfo | null }) {
  const { text, setText, busy, error, results, kind, setKind, submit, addFound } = useAddOrSearch(workspace);
  return (
    <div>
      <form className="flex flex-wrap items-center gap-2" onSubmit={(e) => void submit(e)} aria-label="Add a feature">
        <input
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-label="Feature id or search"
          placeholder="feature id (e.g. 444), or words to search"
          className={cx(inputClass, 'w-64 py-1.5')}
        />
        <select
          value={kind}
          onChange={(e) => setKind(e.target.value === 'text' ? 'text' : 'token')}
          aria-label="Search in"
          className={inputClass}
        >
          <option value="token">search top tokens</option>
          <option value="text">search labels and notes</option>
        </select>
        <Button type="submit" disabled={busy || !text.trim()}>
          {isId(text.trim()) ? 'Add' : 'Search'}
        </Button>
        <a href={href('features')} className="text-xs text-violet-700 underline-offset-2 hover:underline dark:text-violet-300">
          browse features
        </a>
      </form>
      {error && (
        <p role="alert" className="mt-2 text-sm text-rose-600 dark:text-rose-400">
          {error}
        </p>
      )}
      {results && <SearchResults results={results} query={text.trim()} add={addFound} />}
    </div>
  );
}
