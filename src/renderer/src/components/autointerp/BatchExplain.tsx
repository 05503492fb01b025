import { useState, type FormEvent } from 'react';
import type { AutoExplanation } from '../../../../shared/autointerp-types.ts';
import type { PayloadInput } from '../../../../shared/contract.ts';
import { formatProgress } from '../../../../shared/format.ts';
import { useApi } from '../../api/api-context.tsx';
import { textInputClass } from '../TextField.tsx';
import { Button } from '../ui.tsx';
import { useAutointerpJob } from './use-autointerp-job.ts';

/** A search as `feature.search` takes it, without paging. */
export type SearchPayload = Omit<PayloadInput<'feature.search'>, 'offset' | 'limit'>;

const PAGE = 5000;

/**
 * The batch action of the feature list: explain and score every feature of the current
 * search result, or a typed list like `1-100,320`, as one job (progress, ETA, cancel; a
 * cancelled or killed job resumes where it stopped). Results reach `onResult` as they land.
 */
export function BatchExplain({
  db,
  search,
  total,
  onResult,
  onEnd,
}: {
  db: string;
  search: SearchPayload | null;
  total: number | null;
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

  const p = view?.progress ?? null;
  const shownError = error ?? startError ?? (view?.state === 'failed' ? view.error : null);
  return (
    <div className="rounded-lg border border-zinc-200 px-3 py-2 text-xs dark:border-zinc-800" data-testid="batch-explain">
      <form className="flex flex-wrap items-center gap-2" onSubmit={explainSpec}>
        <span className="font-medium text-zinc-600 dark:text-zinc-300">Explain &amp; score</span>
        <Button
          onClick={() => void explainResult()}
          disabled={running || !search || !total}
          label="Explain and score every feature of this search result"
        >
          {total ? `these ${total.toLocaleString()} features` : 'this result'}
        </Button>
        <span className="text-zinc-500">or</span>
        <input
          name="explain-features"
          aria-label="Features to explain, e.g. 1-100,320"
          placeholder="1-100,320"
          value={spec}
          onChange={(e) => setSpec(e.target.value)}
          className={`${textInputClass} mt-0 w-32`}
        />
        <Button type="submit" disabled={running || !spec.trim()}>
          Explain list
        </Button>
        {running && view && <Button onClick={cancel}>Cancel</Button>}
      </form>
      {view && (
        <div className="mt-2" data-testid="batch-explain-job" data-state={view.state}>
          {p && p.total ? (
            <progress
              className="h-1.5 w-full accent-violet-600"
              max={1}
              value={Math.min(1, p.done / p.total)}
              aria-label="explain progress"
            />
          ) : null}
          <p className="mt-1 text-zinc-500 dark:text-zinc-400">
            {view.state}
            {p ? ` · ${formatProgress(p, { unit: 'features', rateDigits: 2 })}` : ''}
            {view.stored ? ` · ${view.stored.toLocaleString()} already stored` : ''}
            {view.failed ? ` · ${view.failed} failed` : ''}
          </p>
        </div>
      )}
      {shownError && <p className="mt-1 text-red-600 dark:text-red-400">{shownError}</p>}
    </div>
  );
}
