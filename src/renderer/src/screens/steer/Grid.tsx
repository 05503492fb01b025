import type { Intervention } from '#shared/intervention.ts';
import type { RunMetrics } from '#shared/steer-types.ts';
import { Badge, cx } from '../../components/ui.tsx';
import { divergence, percent, short } from './format.ts';
import { NextTokens } from './NextTokens.tsx';
import { RunFailed } from './RunFailed.tsx';
import type { GridRunView, RunView } from './run-view.ts';

const finishWords = { length: 'max tokens', stop: 'stopped', cancelled: 'cancelled' } as const;

/** The status of a grid run in words. */
function statusLine(view: RunView, runs: readonly GridRunView[]): { text: string; tone: 'good' | 'muted' | 'accent' | 'bad' } {
  const n = runs.reduce((a, r) => a + r.tokens.length, 0);
  const max = (view.session?.settings.maxNewTokens ?? 0) * runs.length;
  switch (view.status) {
    case 'starting':
      return { text: 'Starting…', tone: 'accent' };
    case 'running':
      return { text: `Generating ${runs.length} continuations in one batch… ${n} / ${max} tokens`, tone: 'accent' };
    case 'done':
      return { text: 'Done', tone: 'good' };
    case 'cancelled':
      return { text: `Cancelled: the ${n} tokens generated so far are kept`, tone: 'muted' };
    case 'interrupted':
      return { text: `Interrupted: the app stopped during this run; ${n} tokens were kept`, tone: 'bad' };
    case 'failed':
      return { text: 'Failed', tone: 'bad' };
  }
}

/** "add 320 = 26.3, clamp 444 = 12" at a factor. */
function values(ivs: readonly Intervention[], factor: number): string {
  const sym = { clamp: '=', add: '+', scale: '×' } as const;
  return ivs.map((iv) => `${iv.mode} ${iv.feature}${sym[iv.mode]}${short(iv.value * factor)}`).join(', ');
}

/** One row (a sweep) or column (samples) of the grid: its title, what it steers, and its runs. */
interface GridGroup {
  readonly key: string;
  readonly title: string;
  readonly detail: string;
  readonly runs: GridRunView[];
}

/** Rows: the default, then each factor (a sweep); or the two sides (samples only). */
function gridGroups(runs: readonly GridRunView[], sweep: readonly number[] | null, ivs: readonly Intervention[]): GridGroup[] {
  const defaults = { key: 'default', title: 'Default', detail: 'no steering', runs: runs.filter((r) => r.side === 'default') };
  if (!sweep)
    return [defaults, { key: 'steered', title: 'Steered', detail: values(ivs, 1), runs: runs.filter((r) => r.side === 'steered') }];
  return [
    defaults,
    ...sweep.map((f) => ({
      key: `f${f}`,
      title: `× ${short(f)}`,
      detail: values(ivs, f),
      runs: runs.filter((r) => r.side === 'steered' && r.factor === f),
    })),
  ];
}

/** What KL and coherence mean, and what is highlighted. */
function GridLegend() {
  return (
    <p className="mb-3 text-xs text-zinc-600 dark:text-zinc-400" data-testid="grid-legend">
      <b className="font-medium">KL</b> is KL(default ‖ steered) of the next-token distribution in nats:{' '}
      <b className="font-medium">first</b> at the first generated position (the prompt’s next token), <b className="font-medium">mean</b>{' '}
      averaged over the run’s generated positions, the default model reading the steered text. <b className="font-medium">Coherence</b> is
      the default model’s mean log-probability of the generated text (closer to 0 reads more like the model’s own text). Highlighted: from
      the first token that differs from the default of the same sample.
    </p>
  );
}

/**
 * A grid session: a strength sweep (one row per factor, default first; samples side by
 * side) or several samples per side (default and steered side by side, samples stacked).
 * Each steered run shows its KL from the default model and the coherence proxy; tokens from
 * the first one that differs from the default of the same sample are highlighted.
 */
export function Grid({ view, runs }: { view: RunView; runs: readonly GridRunView[] }) {
  const s = view.session;
  const status = statusLine(view, runs);
  const samples = s?.samples ?? 1;
  const sweep = s?.sweep ?? null;
  const maxKl = Math.max(1e-9, ...runs.map((r) => r.metrics?.klMean ?? 0));
  const defaultOf = (r: GridRunView): GridRunView | undefined => runs.find((d) => d.side === 'default' && d.sample === r.sample);
  const cell = (r: GridRunView) => (
    <RunCard
      key={`${r.side}-${r.factor}-${r.sample}`}
      run={r}
      base={defaultOf(r)}
      maxKl={maxKl}
      live={view.status === 'running'}
      samples={samples}
    />
  );
  const groups = gridGroups(runs, sweep, s?.interventions ?? []);
  return (
    <section
      aria-label={sweep ? 'Strength sweep' : 'Samples'}
      className="mt-6"
      data-testid="steer-grid"
      data-kind={sweep ? 'sweep' : 'samples'}
    >
      <div className="mb-2 flex flex-wrap items-center gap-3 text-sm">
        <span role="status" data-testid="steer-status" data-state={view.status}>
          <Badge tone={status.tone}>{status.text}</Badge>
        </span>
        <span className="text-zinc-600 dark:text-zinc-400">
          {sweep ? `${sweep.length} strengths` : 'default vs steered'}
          {samples > 1
            ? ` × ${samples} samples (seeds ${s!.settings.seed}–${s!.settings.seed + samples - 1}, each shared by both sides)`
            : ' on one seed'}
        </span>
      </div>
      {view.status === 'failed' && view.error && <RunFailed error={view.error} />}
      <GridLegend />
      {sweep ? (
        <div className="space-y-3">
          {groups.map((g) => (
            <div key={g.key} className="grid grid-cols-[8rem_minmax(0,1fr)] items-start gap-3" data-testid="grid-row" data-group={g.key}>
              <div className="pt-2 text-sm">
                <div className={cx('font-semibold', g.key !== 'default' && 'text-violet-700 dark:text-violet-300')}>{g.title}</div>
                <div className="font-mono text-[11px] break-words text-zinc-500 dark:text-zinc-400">{g.detail}</div>
              </div>
              <div className={cx('grid gap-3', samples > 1 ? 'grid-cols-[repeat(auto-fit,minmax(14rem,1fr))]' : 'grid-cols-1')}>
                {g.runs.map(cell)}
              </div>
            </div>
          ))}
        </div>
      ) : (
        <div className="grid grid-cols-2 gap-4">
          {groups.map((g) => (
            <div key={g.key} className="min-w-0 space-y-3" data-testid="grid-column" data-group={g.key}>
              <h3 className={cx('text-sm font-semibold', g.key === 'steered' && 'text-violet-700 dark:text-violet-300')}>
                {g.title} <span className="font-mono text-[11px] font-normal text-zinc-500 dark:text-zinc-400">{g.detail}</span>
              </h3>
              {g.runs.map(cell)}
            </div>
          ))}
        </div>
      )}
      {view.next && !sweep && <NextTokens table={view.next} />}
    </section>
  );
}

function Metric({ label, value, title, testId }: { label: string; value: string; title: string; testId: string }) {
  return (
    <span title={title} className="whitespace-nowrap">
      {label}{' '}
      <span className="font-mono text-zinc-800 tabular-nums dark:text-zinc-200" data-testid={testId}>
        {value}
      </span>
    </span>
  );
}

function MetricsLine({ metrics, side }: { metrics: RunMetrics | null; side: 'default' | 'steered' }) {
  if (!metrics) return <span className="text-zinc-400">metrics when the run ends</span>;
  return (
    <>
      {side === 'steered' && (
        <>
          <Metric
            label="KL first"
            value={metrics.klFirst.toFixed(3)}
            title="KL(default ‖ steered) at the first generated position, nats"
            testId="grid-kl-first"
          />
          <Metric
            label="mean"
            value={metrics.klMean.toFixed(3)}
            title="KL(default ‖ steered) averaged over the generated positions, nats"
            testId="grid-kl-mean"
          />
        </>
      )}
      <Metric
        label="coherence"
        value={metrics.coherence.toFixed(2)}
        title="The default model’s mean log-probability of this text (nats per token)"
        testId="grid-coherence"
      />
    </>
  );
}

/** One continuation: its sample and seed, metrics, a KL bar, and the text with log-probabilities on hover. */
function RunCard({
  run,
  base,
  maxKl,
  live,
  samples,
}: {
  run: GridRunView;
  base: GridRunView | undefined;
  maxKl: number;
  live: boolean;
  samples: number;
}) {
  const div =
    run.side === 'steered' && base
      ? divergence(
          base.tokens.map((t) => t.id),
          run.tokens.map((t) => t.id),
        )
      : null;
  const kl = run.metrics?.klMean ?? 0;
  return (
    <article
      className="min-w-0 rounded-lg border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
      data-testid="grid-run"
      data-side={run.side}
      data-factor={run.factor ?? ''}
      data-sample={run.sample}
      aria-label={`${run.side === 'default' ? 'Default' : `Steered ×${run.factor}`}, sample ${run.sample + 1}`}
    >
      <header className="flex flex-wrap items-center gap-x-3 gap-y-0.5 border-b border-zinc-100 px-3 py-1.5 text-[11px] text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
        {samples > 1 && (
          <span>
            sample {run.sample + 1} · seed {run.seed}
          </span>
        )}
        <MetricsLine metrics={run.metrics} side={run.side} />
        <span className="ml-auto">
          {run.tokens.length} tokens{run.finish ? ` · ${finishWords[run.finish]}` : live ? ' · …' : ''}
        </span>
      </header>
      {run.side === 'steered' && (
        <div className="h-1 bg-zinc-100 dark:bg-zinc-800" aria-hidden="true">
          <div className="h-1 bg-violet-500" style={{ width: `${Math.min(100, (kl / maxKl) * 100)}%` }} />
        </div>
      )}
      <p
        className="max-h-48 overflow-y-auto px-3 py-2 font-mono text-[12px] leading-5 break-words whitespace-pre-wrap"
        data-testid="grid-text"
      >
        {run.tokens.map((t, i) => (
          <span
            key={i}
            data-index={i}
            title={`token ${i + 1}: log p = ${t.logprob.toFixed(3)} (${percent(t.logprob)})`}
            className={cx(
              'rounded-sm text-zinc-900 dark:text-zinc-100',
              div !== null && i >= div && 'bg-violet-100 dark:bg-violet-500/25',
              div === i && 'ring-1 ring-rose-500',
            )}
          >
            {t.text.replace(/\n/g, '↵\n')}
          </span>
        ))}
        {live && !run.finish && (
          <span className="ml-0.5 inline-block h-3.5 w-1.5 animate-pulse bg-violet-500 align-middle" aria-hidden="true" />
        )}
      </p>
    </article>
  );
}
