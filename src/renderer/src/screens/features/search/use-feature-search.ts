import { useCallback, useEffect, useRef, useState } from 'react';
import type { FeatureFilters, FeatureQuery, FeatureRow } from '#shared/explorer-types.ts';
import { useApi } from '../../../api/api-context.tsx';
import type { SortKey } from './search-state.ts';

/** Rows fetched per feature.search request. */
export const SEARCH_PAGE = 500;

/** One search's arguments (what changes the result list). */
export interface SearchArgs {
  readonly db: string;
  readonly query: FeatureQuery;
  readonly filters: FeatureFilters;
  readonly sort: SortKey;
  readonly order?: 'asc' | 'desc';
}

/** A search's results as far as they are loaded, fetched page by page as rows are needed. */
export interface SearchResults {
  /** Matches after filters; null until the first page arrives. */
  readonly total: number | null;
  readonly note: string | null;
  readonly error: string | null;
  /** True while the first page of a new search is on its way. */
  readonly loading: boolean;
  /** Row i, or undefined while its page is not loaded (the call asks for it). */
  row(i: number): FeatureRow | undefined;
  /** Asks for the pages holding rows from..to (both included). */
  need(from: number, to: number): void;
  retry(): void;
}

interface Meta {
  readonly key: string;
  readonly total: number | null;
  readonly note: string | null;
  readonly error: string | null;
}

const noMeta: Meta = { key: '', total: null, note: null, error: null };

interface Pages {
  key: string;
  rows: Map<number, readonly FeatureRow[]>;
  asked: Set<number>;
}

/** Pages through `feature.search` for `args` (null: no search). */
export function useFeatureSearch(args: SearchArgs | null): SearchResults {
  const api = useApi();
  const key = args ? JSON.stringify(args) : '';
  const pages = useRef<Pages>({ key: '', rows: new Map(), asked: new Set() });
  const [meta, setMeta] = useState<Meta>(noMeta);
  // The last search that had results, shown while a new one loads so the list does not flash.
  const shown = useRef<{ pages: Pages; meta: Meta }>({ pages: pages.current, meta: noMeta });
  const [, setVersion] = useState(0);
  const [attempt, setAttempt] = useState(0);
  // The arguments whose JSON is `key` (a new object every render; the key is what matters).
  const argsRef = useRef(args);
  argsRef.current = args;

  const fetchPage = useCallback(
    (page: number) => {
      const p = pages.current;
      if (!key || p.key !== key || p.asked.has(page)) return;
      p.asked.add(page);
      const a = argsRef.current;
      if (!a) return;
      void api
        .request('feature.search', {
          db: a.db,
          query: a.query,
          filters: a.filters,
          sort: a.sort,
          ...(a.order ? { order: a.order } : {}),
          offset: page * SEARCH_PAGE,
          limit: SEARCH_PAGE,
        })
        .then((reply) => {
          if (pages.current.key !== key) return; // a newer search replaced this one
          if (!reply.ok) {
            pages.current.asked.delete(page);
            setMeta((m) => (m.key === key ? { ...m, error: reply.error.message } : { ...noMeta, key, error: reply.error.message }));
            return;
          }
          pages.current.rows.set(page, reply.value.rows);
          setMeta({ key, total: reply.value.total, note: reply.value.note, error: null });
          setVersion((v) => v + 1);
        });
    },
    [api, key],
  );

  useEffect(() => {
    pages.current = { key, rows: new Map(), asked: new Set() };
    if (key) fetchPage(0);
  }, [key, attempt, fetchPage]);

  const settled = meta.key === key && (meta.total !== null || meta.error !== null);
  if (settled && pages.current.key === key) shown.current = { pages: pages.current, meta };
  const view = settled ? { pages: pages.current, meta } : shown.current;
  return {
    total: view.meta.total,
    note: view.meta.note,
    error: settled ? meta.error : null,
    loading: Boolean(key) && !settled,
    row: (i) => view.pages.rows.get(Math.floor(i / SEARCH_PAGE))?.[i % SEARCH_PAGE],
    need: (from, to) => {
      for (let p = Math.floor(from / SEARCH_PAGE); p <= Math.floor(to / SEARCH_PAGE); p++) fetchPage(p);
    },
    retry: () => {
      setMeta(noMeta);
      setAttempt((n) => n + 1);
    },
  };
}
