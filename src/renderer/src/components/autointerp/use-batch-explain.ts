import { useState, type FormEvent } from 'react';
import type { AutoExplanation } from '#shared/autointerp-types.ts';
import type { PayloadInput } from '#shared/contract.ts';
import { useApi } from '../../api/api-context.tsx';
import { useAutointerpJob } from './use-autointerp-job.ts';

/** A search as `feature.search` takes it, without paging. */
export type SearchPayload = Omit<PayloadInput<'feature.search'>, 'offset' | 'limit'>;

const PAGE = 5000;

/**
 * The batch explain job of the feature list: of every feature of `search` (its ids fetched
 * page by page first) or of the typed list `spec`.
 */
export function useBatchExplain({
  db,
  search,
  onResult,
  onEnd,
}: {
  db: string;
  search: SearchPayload | null;
  onResult: (e: AutoExplanation) => void;
  onEnd: () => void;
}) {
  const api = useApi();
  const [spec, setSpec] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [collecting, setCollecting] = useState(false);
  const { view, start, cancel, startError } = useAutointerpJob({ onResult, onEnd });
  const running = collecting || (view !== null && (view.state === 'running' || view.state === 'queued'));

  /** Every id of the current search result, page by page. */
  const searchIds = async (): Promise<number[] | null> => {
    if (!search) return null;
    const ids: number[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const r = await api.request('feature.search', { ...search, offset, limit: PAGE });
      if (!r.ok) {
        setError(r.error.message);
        return null;
      }
      ids.push(...r.value.rows.map((row) => row.id));
      if (offset + PAGE >= r.value.total) return ids;
    }
  };
  const run = async (features: PayloadInput<'autointerp.start'>['features'] | null) => {
    if (!features) return;
    setError(null);
    await start({ db, features });
  };
  const explainResult = async () => {
    setCollecting(true);
    const ids = await searchIds().finally(() => setCollecting(false));
    if (ids && ids.length) await run(ids);
  };
  const explainSpec = (e: FormEvent) => {
    e.preventDefault();
    if (spec.trim()) void run(spec.trim());
  };

  const shownError = error ?? startError ?? (view?.state === 'failed' ? view.error : null);
  return { spec, setSpec, view, running, cancel, explainResult, explainSpec, shownError };
}
