import { useState } from 'react';
import type { SteerSide } from '#shared/steer-types.ts';
import { Badge, cx } from '../../components/ui.tsx';
import { divergence, percent, visibleToken } from './format.ts';
import { RunFailed } from './RunFailed.tsx';
import { NextTokens } from './NextTokens.tsx';
import type { RunView, ShownToken } from './run-view.ts';

const sideTitle: Record<SteerSide, string> = { default: 'Default', steered: 'Steered' };

const finishWords = { length: 'max tokens', stop: 'stopped', cancelled: 'cancelled' } as const;

/** The status of a run in words. */
function statusLine(view: RunView): { text: string; tone: 'good' | 'muted' | 'accent' | 'bad' } {
  const n = view.tokens.default.length + view.tokens.steered.length;
  const max = view.session ? view.session.settings.maxNewTokens * 2 : 0;
  switch (view.status) {
    case 'starting':
      return { text: 'Starting…', tone: 'accent' };
    case 'running':
      return { text: `Generating… ${n} / ${max} tokens`, tone: 'accent' };
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

interface Hovered {
  readonly side: SteerSide;
  readonly index: number;
}

/** Default and steered continuations side by side; from the first differing token on, both are highlighted. */
export function Outputs({ view }: { view: RunView }) {
  const [hovered, setHovered] = useState<Hovered | null>(null);
  const ids = (side: SteerSide) => view.tokens[side].map((t) => t.id);
  const div = divergence(ids('default'), ids('steered'));
  const status = statusLine(view);
  const finished = view.status !== 'running' && view.status !== 'starting';
  const promptText = view.session?.prompt ?? '';

  return (
    <section aria-label="Continuations" className="mt-6" data-testid="steer-outputs">
      <div className="mb-2 flex flex-wrap items-center gap-3 text-sm">
        <span role="status" data-testid="steer-status" data-state={view.status}>
          <Badge tone={status.tone}>{status.text}</Badge>
        </span>
        {finished && view.tokens.default.length > 0 && (
          <span data-testid="steer-divergence" className="text-zinc-600 dark:text-zinc-400">
            {div === null ? 'The two continuations are identical.' : `They diverge at token ${div + 1}.`}
          </span>
        )}
      </div>
      {view.status === 'failed' && view.error && <RunFailed error={view.error} />}
      <div className="grid grid-cols-2 gap-4">
        {(['default', 'steered'] as const).map((side) => (
          <Column
            key={side}
            side={side}
            prompt={promptText}
            tokens={view.tokens[side]}
            divergeAt={div}
            finish={view.session?.outputs[side].finish ?? null}
            live={!finished}
            onHover={(index) => setHovered(index === null ? null : { side, index })}
          />
        ))}
      </div>
      <Inspector view={view} hovered={hovered} />
      {view.next && <NextTokens table={view.next} />}
    </section>
  );
}

function Column({
  side,
  prompt,
  tokens,
  divergeAt,
  finish,
  live,
  onHover,
}: {
  side: SteerSide;
  prompt: string;
  tokens: readonly ShownToken[];
  divergeAt: number | null;
  finish: keyof typeof finishWords | null;
  live: boolean;
  onHover: (index: number | null) => void;
}) {
  const steered = side === 'steered';
  return (
    <div
      className="min-w-0 rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
      data-testid={`steer-output-${side}`}
    >
      <header className="flex items-center justify-between border-b border-zinc-200 px-4 py-2 dark:border-zinc-800">
        <h3 className={cx('text-sm font-semibold', steered ? 'text-violet-700 dark:text-violet-300' : 'text-zinc-900 dark:text-zinc-100')}>
          {sideTitle[side]}
        </h3>
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          {tokens.length} tokens{finish ? ` · ${finishWords[finish]}` : live ? ' · …' : ''}
        </span>
      </header>
      <p
        className="max-h-72 overflow-y-auto px-4 py-3 font-mono text-[13px] leading-6 break-words whitespace-pre-wrap"
        onMouseLeave={() => onHover(null)}
      >
        <span className="text-zinc-400 dark:text-zinc-500">{prompt}</span>
        {tokens.map((t, i) => {
          const diverged = divergeAt !== null && i >= divergeAt;
          return (
            <span
              key={i}
              data-index={i}
              data-diverged={diverged ? 'true' : undefined}
              title={`token ${i + 1}: log p = ${t.logprob.toFixed(3)} (${percent(t.logprob)})`}
              onMouseEnter={() => onHover(i)}
              className={cx(
                'rounded-sm text-zinc-900 hover:bg-sky-200 dark:text-zinc-100 dark:hover:bg-sky-800',
                diverged && (steered ? 'bg-violet-100 dark:bg-violet-500/25' : 'bg-amber-100 dark:bg-amber-500/20'),
                divergeAt === i && 'ring-1 ring-rose-500',
              )}
            >
              {t.text.replace(/\n/g, '↵\n')}
            </span>
          );
        })}
        {live && <span className="ml-0.5 inline-block h-4 w-1.5 animate-pulse bg-violet-500 align-middle" aria-hidden="true" />}
      </p>
    </div>
  );
}

/** One line about the hovered token: its log-probability, and what the other side has at that index. */
function Inspector({ view, hovered }: { view: RunView; hovered: Hovered | null }) {
  let text = 'Hover a token to see its log-probability. Highlighted: from the first token where the two continuations differ.';
  if (hovered) {
    const t = view.tokens[hovered.side][hovered.index];
    const otherSide: SteerSide = hovered.side === 'default' ? 'steered' : 'default';
    const o = view.tokens[otherSide][hovered.index];
    if (t) {
      text =
        `${sideTitle[hovered.side]} token ${hovered.index + 1} “${visibleToken(t.text)}”: log p ${t.logprob.toFixed(3)} (${percent(t.logprob)})` +
        (o ? ` · ${sideTitle[otherSide].toLowerCase()} has “${visibleToken(o.text)}” (${percent(o.logprob)})` : '');
    }
  }
  return (
    <p className="mt-2 min-h-5 font-mono text-xs text-zinc-600 dark:text-zinc-400" data-testid="steer-inspector" aria-live="polite">
      {text}
    </p>
  );
}
