import type { AutoExplanation } from '#shared/autointerp-types.ts';
import { textInputClass } from '../TextField.tsx';
import { Button } from '../ui.tsx';
import { BatchJobStatus } from './BatchJobStatus.tsx';
import { useBatchExplain, type SearchPayload } from './use-batch-explain.ts';

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
  const { spec, setSpec, view, running, cancel, explainResult, explainSpec, shownError } = useBatchExplain({ db, search, onResult, onEnd });
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
      {view && <BatchJobStatus view={view} />}
      {shownError && <p className="mt-1 text-red-600 dark:text-red-400">{shownError}</p>}
    </div>
  );
}
