import type { ReactNode } from 'react';
import type { AppStatus, ProviderName, ProviderStatus } from '#shared/contract.ts';
import { useRequest } from '../api/api-context.tsx';
import { icons } from './icons.tsx';
import { Badge, Button, Card, ErrorNote } from './ui.tsx';

const providerLabels: Record<ProviderName, string> = {
  cuda: 'CUDA',
  dml: 'DirectML',
  coreml: 'Core ML',
  webgpu: 'WebGPU',
  cpu: 'CPU',
};

const hostLabels: Record<AppStatus['host'], string> = {
  electron: 'Desktop app',
  serve: 'Serve host (browser)',
  cli: 'Command line',
};

/** The engine's facts, fetched through the contract (`app.status`). */
export function StatusPanel() {
  const { state, reload } = useRequest('app.status');
  return (
    <Card
      title="Engine status"
      data-testid="status-panel"
      actions={
        <Button onClick={reload} disabled={state.status === 'loading'} label="Refresh engine status">
          <icons.refresh width={14} height={14} />
          Refresh
        </Button>
      }
    >
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorNote title="Could not read the engine status" message={state.error.message} onRetry={reload} />}
      {state.status === 'ready' && <Facts status={state.value} />}
    </Card>
  );
}

function Loading() {
  return (
    <div role="status" aria-live="polite" data-testid="status-loading">
      <p className="mb-4 text-sm text-zinc-500 dark:text-zinc-400">Probing execution providers…</p>
      <div className="grid animate-pulse gap-3 sm:grid-cols-3">
        {[0, 1, 2].map((i) => (
          <div key={i} className="h-16 rounded-lg bg-zinc-100 dark:bg-zinc-800" />
        ))}
      </div>
      <div className="mt-4 h-28 animate-pulse rounded-lg bg-zinc-100 dark:bg-zinc-800" />
    </div>
  );
}

function Facts({ status }: { status: AppStatus }) {
  const gpu = status.activeProvider !== 'cpu';
  return (
    <div className="space-y-6" data-testid="status-ready">
      <div className="grid gap-3 sm:grid-cols-3">
        <Tile
          label="Active provider"
          testId="active-provider"
          value={providerLabels[status.activeProvider]}
          hint={
            gpu
              ? 'GPU acceleration'
              : `No GPU provider found · ${status.cpuThreads === null ? 'CPU' : `CPU on ${status.cpuThreads} thread${status.cpuThreads === 1 ? '' : 's'}`}`
          }
        />
        <Tile label="ONNX Runtime" testId="onnxruntime-version" value={status.onnxruntimeVersion} hint="onnxruntime-node" />
        <Tile label="App version" testId="app-version" value={status.appVersion} hint={hostLabels[status.host]} />
      </div>

      <div>
        <h3 className="mb-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">Execution providers</h3>
        <ul
          className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800"
          aria-label="Execution providers"
        >
          {status.providers.map((p) => (
            <ProviderRow key={p.name} provider={p} active={p.name === status.activeProvider} />
          ))}
        </ul>
      </div>

      <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[10rem_1fr]">
        <Fact term="Data folder">
          <span className="font-mono text-xs break-all" data-testid="data-dir">
            {status.dataDir}
          </span>{' '}
          <span className="text-xs text-zinc-500">({sourceText[status.dataDirSource]})</span>
        </Fact>
        <Fact term="SQLite">
          {status.sqlite.version ?? <span className="text-rose-600 dark:text-rose-400">unavailable: {status.sqlite.error}</span>}
        </Fact>
        <Fact term="Platform">
          {status.platform} {status.arch}
        </Fact>
        <Fact term="Runtime">
          Node {status.versions.node}
          {status.versions.electron && <> · Electron {status.versions.electron}</>}
          {status.versions.chrome && <> · Chromium {status.versions.chrome}</>}
        </Fact>
      </dl>
    </div>
  );
}

const sourceText: Record<AppStatus['dataDirSource'], string> = {
  flag: 'from --data',
  env: 'from SAE_EXPLORER_DATA',
  default: 'default',
};

function Tile({ label, value, hint, testId }: { label: string; value: string; hint: string; testId: string }) {
  return (
    <div className="rounded-lg border border-zinc-200 bg-zinc-50 px-4 py-3 dark:border-zinc-800 dark:bg-zinc-950/40">
      <div className="text-xs text-zinc-500 dark:text-zinc-400">{label}</div>
      <div className="mt-0.5 text-lg font-semibold text-zinc-900 dark:text-zinc-50" data-testid={testId}>
        {value}
      </div>
      <div className="truncate text-xs text-zinc-500 dark:text-zinc-400" title={hint}>
        {hint}
      </div>
    </div>
  );
}

function ProviderRow({ provider, active }: { provider: ProviderStatus; active: boolean }) {
  return (
    <li
      className="flex flex-wrap items-start gap-x-4 gap-y-1 px-4 py-3"
      data-testid="provider"
      data-provider={provider.name}
      data-available={String(provider.available)}
    >
      <div className="w-28 shrink-0">
        <div className="text-sm font-medium text-zinc-900 dark:text-zinc-100">{providerLabels[provider.name]}</div>
        <div className="font-mono text-xs text-zinc-500">{provider.name}</div>
      </div>
      <div className="flex w-40 shrink-0 items-center gap-1.5">
        {provider.available ? <Badge tone="good">Available</Badge> : <Badge tone="muted">Unavailable</Badge>}
        {active && <Badge tone="accent">Active</Badge>}
      </div>
      {provider.reason && (
        <p className="min-w-0 flex-1 basis-64 font-mono text-xs break-words text-zinc-500 dark:text-zinc-400" title={provider.reason}>
          {provider.reason}
        </p>
      )}
    </li>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500 dark:text-zinc-400">{term}</dt>
      <dd className="text-zinc-900 dark:text-zinc-100">{children}</dd>
    </>
  );
}
