import { useEffect, useMemo, useRef, useState } from 'react';
import type { AutoExplanationSummary } from '#shared/autointerp-types.ts';
import { BatchExplain } from '../../../components/autointerp/BatchExplain.tsx';
import { ErrorNote } from '../../../components/ui.tsx';
import { href } from '../../../routes.ts';
import { FeatureList } from '../list/FeatureList.tsx';
import { FilterBar } from './FilterBar.tsx';
import { InlineError, Loading, Notice } from '../common/explorer-ui.tsx';
import { formatCount } from '../common/format.ts';
import { SearchBar } from './SearchBar.tsx';
import { buildFilters, buildQuery, hasFilters, searchFromParams, searchToParams, type SearchForm } from './search-state.ts';
import { useDebounced } from '../common/use-debounced.ts';
import { useFeatureSearch } from './use-feature-search.ts';
import type { IndexedWorkspace } from '../shell/use-explorer-workspace.ts';

// Text matches are listed best first; their score (an FTS5 rank) means nothing to read, so it is not shown.
const scoreLabels = { token: 'Hits', similar: 'Cosine' } as const;

/** Feature search: a query box, filters and the virtualised list of matches. */
export function SearchView({ workspace, params }: { workspace: IndexedWorkspace; params: URLSearchParams }) {
  // The form starts from the URL and writes itself back (replaceState: typing adds no history).
  const [form, setForm] = useState<SearchForm>(() => searchFromParams(params));
  const written = useRef<string | null>(null);
  useEffect(() => {
    const query = searchToParams(form);
    written.current = new URLSearchParams(query).toString();
    window.history.replaceState(null, '', href('features', [], query));
  }, [form]);
  // A link that changes the search (e.g. the Search tab, a list link) replaces the form.
  const incoming = params.toString();
  useEffect(() => {
    if (written.current !== null && incoming !== written.current) setForm(searchFromParams(new URLSearchParams(incoming)));
  }, [incoming]);

  const settled = useDebounced(form, 250);
  const query = useMemo(() => buildQuery(settled.mode, settled.text, workspace.dSae), [settled.mode, settled.text, workspace.dSae]);
  const filters = useMemo(() => buildFilters(settled.filters), [settled.filters]);
  const args =
    query.ok && filters.ok
      ? {
          db: workspace.db,
          query: query.value,
          filters: filters.value,
          sort: settled.sort,
          ...(settled.order !== 'default' ? { order: settled.order } : {}),
        }
      : null;
  const results = useFeatureSearch(args);
  const input = useRef<HTMLInputElement>(null);
  const kind = query.ok ? query.value.kind : null;
  const scoreLabel = kind === 'token' || kind === 'similar' ? scoreLabels[kind] : null;
  // auto explanations stored since the rows were fetched, shown over them as they arrive
  const [live, setLive] = useState<ReadonlyMap<number, AutoExplanationSummary>>(() => new Map());

  return (
    <div className="space-y-3">
      <SearchBar form={form} onChange={setForm} inputRef={input} />
      <FilterBar form={form.filters} onChange={(filters) => setForm({ ...form, filters })} />
      {!query.ok && <InlineError>{query.error}</InlineError>}
      {!filters.ok && <InlineError>{filters.error}</InlineError>}
      <ResultSummary total={results.total} loading={results.loading} note={results.note} />
      <BatchExplain
        db={workspace.db}
        search={args}
        total={results.total}
        onResult={(e) =>
          setLive((m) =>
            new Map(m).set(e.feature, {
              description: e.description,
              explainerModel: e.explainerModel,
              detection: e.detection?.balancedAccuracy ?? null,
              fuzzing: e.fuzzing?.balancedAccuracy ?? null,
            }),
          )
        }
        onEnd={() => undefined}
      />
      {results.error ? (
        <ErrorNote title="The search failed" message={results.error} onRetry={results.retry} />
      ) : results.total === null ? (
        results.loading && <Loading what="features" />
      ) : results.total === 0 ? (
        <Notice title="No features match" testId="no-results">
          {hasFilters(form.filters)
            ? 'Try loosening the filters (density, max activation, labelled, starred, list).'
            : kind === 'text'
              ? 'Label and notes text only matches annotated features. Try “top token” mode to search what features fire on, or the Prompt inspector.'
              : 'Try another query.'}
        </Notice>
      ) : (
        <FeatureList results={results} scoreLabel={scoreLabel} live={live} />
      )}
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        <kbd className="font-mono">/</kbd> search · <kbd className="font-mono">j</kbd>/<kbd className="font-mono">k</kbd> move ·{' '}
        <kbd className="font-mono">Enter</kbd> open
      </p>
    </div>
  );
}

function ResultSummary({ total, loading, note }: { total: number | null; loading: boolean; note: string | null }) {
  return (
    <div className="flex min-h-5 items-center gap-3 text-xs text-zinc-500 dark:text-zinc-400" aria-live="polite">
      {total !== null && (
        <span data-testid="result-count">
          {formatCount(total)} feature{total === 1 ? '' : 's'}
        </span>
      )}
      {loading && total !== null && <span>searching…</span>}
      {note && <span className="text-amber-700 dark:text-amber-400">{note}</span>}
    </div>
  );
}
