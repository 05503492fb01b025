import { useCallback, useEffect, useState } from 'react';
import type { JobProgress } from '#shared/contract.ts';
import { formatBytes, formatEta } from '#shared/format.ts';
import type { HubPull, HubPullFile } from '#shared/hub-types.ts';
import { useApi, useEvent } from '../../api/api-context.tsx';
import { Badge, Button, Card } from '../../components/ui.tsx';
import type { UsePath } from './format.ts';
import { UseButtons } from './UseButtons.tsx';

const tones = { queued: 'muted', running: 'accent', done: 'good', failed: 'bad', cancelled: 'muted' } as const;
const fileTones = { pending: 'muted', downloading: 'accent', verifying: 'accent', done: 'good', cached: 'good', failed: 'bad' } as const;

/** The pulls of this session, live: refetched when a download job reports, with its rate and ETA from the event. */
export function usePulls(): { pulls: readonly HubPull[]; progress: ReadonlyMap<string, JobProgress>; reload: () => void } {
  const api = useApi();
  const [pulls, setPulls] = useState<readonly HubPull[]>([]);
  const [progress, setProgress] = useState<ReadonlyMap<string, JobProgress>>(new Map());
  const reload = useCallback(() => {
    void api.request('hub.pulls').then((r) => {
      if (r.ok) setPulls(r.value);
    });
  }, [api]);
  useEffect(reload, [reload]);
  useEvent('job.state', (s) => {
    if (s.kind === 'download') reload();
  });
  useEvent('job.progress', (p) => {
    if (!pulls.some((x) => x.job === p.job)) return;
    setProgress((m) => new Map(m).set(p.job, p));
    reload();
  });
  return { pulls, progress, reload };
}

/** Downloads from the hub: overall and per-file progress, cancel, and the folder to open once done. */
export function Downloads({
  pulls,
  progress,
  use,
}: {
  pulls: readonly HubPull[];
  progress: ReadonlyMap<string, JobProgress>;
  use: UsePath;
}) {
  const api = useApi();
  if (!pulls.length) return null;
  return (
    <Card title="Downloads" className="mt-6" data-testid="downloads">
      <ul className="divide-y divide-zinc-200 dark:divide-zinc-800">
        {pulls.map((p) => (
          <PullRow
            key={p.job}
            pull={p}
            progress={progress.get(p.job)}
            use={use}
            onCancel={() => void api.request('jobs.cancel', { job: p.job })}
          />
        ))}
      </ul>
    </Card>
  );
}

function PullRow({ pull, progress, use, onCancel }: { pull: HubPull; progress?: JobProgress; use: UsePath; onCancel: () => void }) {
  const open = pull.state === 'running' || pull.state === 'queued';
  const fraction = pull.total > 0 ? Math.min(1, pull.done / pull.total) : pull.state === 'done' ? 1 : undefined;
  const where = `${pull.repo}${pull.path ? `:${pull.path}` : ''}${pull.revision === 'main' ? '' : ` @ ${pull.revision}`}`;
  const r = pull.result;
  return (
    <li className="py-3" data-testid="download" data-state={pull.state} data-job={pull.job}>
      <div className="flex items-center gap-3">
        <span className="min-w-0 flex-1 truncate font-mono text-xs font-medium">{where}</span>
        {pull.kind && <Badge tone="muted">{pull.kind === 'sae' ? 'SAE' : 'model'}</Badge>}
        <Badge tone={tones[pull.state]}>{pull.state}</Badge>
        {open && <Button onClick={onCancel}>Cancel</Button>}
      </div>
      {open && (
        <div className="mt-2">
          <progress className="h-1.5 w-full accent-violet-600" max={1} value={fraction} aria-label={`download ${where}`} />
          <p className="mt-1 text-xs text-zinc-500" data-testid="download-progress">
            {formatBytes(pull.done)} / {formatBytes(pull.total)}
            {progress && progress.rate > 0 && ` · ${formatBytes(progress.rate)}/s`}
            {progress && progress.eta !== null && progress.rate > 0 && ` · ${formatEta(progress.eta)} left`}
          </p>
        </div>
      )}
      {pull.files.length > 0 && (
        <ul className="mt-2 grid gap-1">
          {pull.files.map((f) => (
            <FileRow key={f.path} file={f} />
          ))}
        </ul>
      )}
      {r && (
        <div className="mt-2 flex flex-wrap items-center gap-3 text-xs">
          <span className="min-w-0 flex-1 break-all font-mono" data-testid="download-path">
            {r.path}
          </span>
          <span className="text-zinc-500">
            {r.files.length} {r.files.length === 1 ? 'file' : 'files'} · {formatBytes(r.bytes)} · downloaded {formatBytes(r.downloaded)}
            {r.cachedFiles ? ` · ${r.cachedFiles} from the cache` : ''}
            {r.offline ? ' · offline' : ''}
          </span>
          <UseButtons kind={r.kind} path={r.path} use={use} />
        </div>
      )}
      {pull.error && <p className="mt-1 text-xs text-rose-600 dark:text-rose-400">{pull.error}</p>}
    </li>
  );
}

function FileRow({ file }: { file: HubPullFile }) {
  const fraction = file.size ? Math.min(1, file.done / file.size) : undefined;
  return (
    <li className="grid grid-cols-[1fr_6rem_9rem_5rem] items-center gap-3 text-xs" data-testid="download-file" data-state={file.state}>
      <span className="truncate font-mono" title={file.path}>
        {file.path}
        {file.lfs && <span className="ml-1 text-zinc-400">LFS</span>}
      </span>
      <progress className="h-1 w-full accent-violet-600" max={1} value={fraction} aria-label={`${file.path} progress`} />
      <span className="text-right tabular-nums text-zinc-500">
        {formatBytes(file.done)}
        {file.size !== null && ` / ${formatBytes(file.size)}`}
      </span>
      <span className="text-right">
        <Badge tone={fileTones[file.state]}>{file.resumedFrom && file.state !== 'done' ? 'resumed' : file.state}</Badge>
      </span>
    </li>
  );
}
