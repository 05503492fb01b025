import type { FormEvent } from 'react';
import type { JobProgress, WorkspaceInfo } from '#shared/contract.ts';
import { formatProgress } from '#shared/format.ts';
import { Button } from '../../components/ui.tsx';

/** What the evaluation runs on, its token budget and the button that starts it. */
export function EvaluationForm({
  sel,
  info,
  maxTokens,
  setMaxTokens,
  running,
  evaluated,
  onRun,
}: {
  sel: NonNullable<WorkspaceInfo['selection']>;
  info: WorkspaceInfo | null;
  maxTokens: string;
  setMaxTokens: (v: string) => void;
  running: boolean;
  evaluated: boolean;
  onRun: (e: FormEvent) => void;
}) {
  return (
    <form className="mb-5 flex flex-wrap items-end gap-3" onSubmit={onRun} aria-label="Run evaluation">
      <p className="min-w-0 flex-1 text-xs text-zinc-500 dark:text-zinc-400">
        <span className="font-mono">{sel.sae}</span> on <span className="font-mono">{sel.corpus ?? 'no corpus'}</span>
        {info?.index ? `, in the index's windows of ${info.index.context} tokens` : ''}.
      </p>
      <label className="text-xs">
        <span className="block font-medium">Max tokens</span>
        <input
          name="maxTokens"
          inputMode="numeric"
          value={maxTokens}
          onChange={(e) => setMaxTokens(e.target.value)}
          className="mt-1 w-28 rounded-md border border-zinc-300 bg-white px-2 py-1.5 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-900"
        />
      </label>
      <Button type="submit" disabled={running || !sel.corpus}>
        {running ? 'Evaluating…' : evaluated ? 'Evaluate again' : 'Run evaluation'}
      </Button>
    </form>
  );
}

/** A running evaluation's progress, with Cancel. */
export function EvaluationProgress({ progress, onCancel }: { progress: JobProgress | null; onCancel: () => void }) {
  const fraction = progress && progress.total ? Math.min(1, progress.done / progress.total) : undefined;
  return (
    <div className="mb-5" data-testid="health-progress">
      <progress className="h-1.5 w-full accent-violet-600" max={1} value={fraction} aria-label="evaluation progress" />
      <p className="mt-1 text-xs text-zinc-500">{progress ? formatProgress(progress, { unit: 'tokens' }) : 'Starting…'}</p>
      <div className="mt-2">
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </div>
  );
}
