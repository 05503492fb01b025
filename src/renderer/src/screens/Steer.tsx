import { useCallback, useEffect, useRef, useState } from 'react';
import type { PayloadInput } from '../../../shared/contract.ts';
import type { SteerSession } from '../../../shared/steer-types.ts';
import type { WorkspaceInfo } from '../../../shared/workspace-types.ts';
import { useApi, useEvent, useRequest } from '../api/api-context.tsx';
import { Badge, ScreenHeader, cx } from '../components/ui.tsx';
import { href, useRouteParams } from '../routes.ts';
import { ChatEditor } from './steer/ChatEditor.tsx';
import { chatMessages, draftNow, newDraftFeature, parseFactors, updateDraft, useDraft, type Draft } from './steer/draft.ts';
import { Grid } from './steer/Grid.tsx';
import { baseName, when } from './steer/format.ts';
import { GenerationForm } from './steer/GenerationForm.tsx';
import { Interventions, useAddFeature } from './steer/Interventions.tsx';
import { Outputs } from './steer/Outputs.tsx';
import { SessionsPanel } from './steer/SessionsPanel.tsx';
import { PromptTokens, usePromptTokens } from './steer/PromptTokens.tsx';
import { SweepForm } from './steer/SweepForm.tsx';
import { useSteerRun } from './steer/use-run.ts';

/** Feature ids being added from the URL, so a double effect (StrictMode) adds each once. */
const adding = new Set<number>();

/** The prompt part of a request: the text, or the chat (with a pasted template when there is one). */
function promptOf(d: Draft): PayloadInput<'steer.tokenize'> {
  if (d.mode === 'text') return { prompt: d.prompt };
  return {
    chat: {
      messages: chatMessages(d.chat),
      addGenerationPrompt: d.chat.addGenerationPrompt,
      ...(d.chat.template.trim() ? { template: d.chat.template } : {}),
    },
  };
}

/** What is wrong with the draft before it can run, in words; null when it can. */
function problem(d: Draft): string | null {
  if (d.mode === 'text' && !d.prompt.trim()) return 'Type a prompt first.';
  if (d.mode === 'chat' && !d.chat.turns.some((t) => t.content.trim())) return 'Type a message first.';
  if (d.sweep.on) {
    const f = parseFactors(d.sweep.factors);
    if ('problem' in f) return f.problem;
    if (!d.features.length) return 'A sweep scales the features’ values: add a feature first.';
  }
  if (d.samples > 1 && d.settings.greedy) return 'Several samples need sampling: choose “sample” in Generation.';
  for (const f of d.features) {
    if (f.value.trim() === '' || !Number.isFinite(Number(f.value))) return `Feature ${f.feature}: the value must be a number.`;
    if (typeof f.positions === 'object' && f.positions.to <= f.positions.from)
      return `Feature ${f.feature}: the token range must end after it starts.`;
  }
  return null;
}

/** Steering: clamp, add or scale SAE latents and compare default and steered continuations side by side; every run is a saved session. */
export function Steer() {
  const api = useApi();
  const draft = useDraft();
  const ws = useRequest('workspace.get');
  useEvent('workspace.changed', ws.reload);
  useEvent('job.state', (s) => {
    if (s.kind === 'index') ws.reload();
  });
  const sessions = useRequest('session.list');
  const run = useSteerRun(draft.shown, sessions.reload);
  const { add } = useAddFeature();
  const [addError, setAddError] = useState<string | null>(null);
  // after Run or opening a session, bring the results into view once they render
  const [reveal, setReveal] = useState(0);
  const revealedFor = useRef('');
  const shownId = run.view?.session?.id ?? '';
  useEffect(() => {
    const key = `${reveal}/${shownId}`;
    if (!reveal || !shownId || revealedFor.current === key) return;
    revealedFor.current = key;
    document.getElementById('steer-results')?.scrollIntoView({ block: 'start' });
  }, [reveal, shownId]);
  const promptRef = useRef<HTMLTextAreaElement>(null);
  const info = ws.state.status === 'ready' ? ws.state.value : null;
  const engineKey = info?.engine && info.selection ? `${info.selection.model}|${info.selection.sae}|${info.engine.hook}` : null;
  const { tokens, error: promptError } = usePromptTokens(promptOf(draft), engineKey);
  const chatInfo = useRequest('steer.chatInfo');
  const reloadChatInfo = chatInfo.reload;
  useEffect(() => {
    if (engineKey !== null) reloadChatInfo();
  }, [engineKey, reloadChatInfo]);

  // #/steer?add=<id>: add that feature (once), then drop the parameter
  const { query } = useRouteParams();
  const addParam = query.get('add');
  useEffect(() => {
    if (addParam === null) return;
    window.location.replace(href('steer'));
    const id = Number(addParam);
    if (!/^\d+$/.test(addParam)) return setAddError(`“${addParam}” is not a feature id.`);
    if (adding.has(id) || draft.features.some((f) => f.feature === id)) return;
    adding.add(id);
    void add(id).then((err) => {
      adding.delete(id);
      setAddError(err);
    });
  }, [addParam, add, draft.features]);

  // when the engine loads or changes, or its index completes, the features' figures are read again
  const infoKey =
    info?.engine && info.selection ? `${info.selection.model}|${info.selection.sae}|${info.engine.hook}|${info.index?.state ?? ''}` : null;
  useEffect(() => {
    if (infoKey === null) return;
    for (const f of draftNow().features) {
      void api.request('steer.feature', { id: f.feature }).then((r) =>
        updateDraft((d) => ({
          ...d,
          features: d.features.map((x) =>
            x.key === f.key ? { ...x, info: r.ok ? r.value : null, problem: r.ok ? null : r.error.message } : x,
          ),
        })),
      );
    }
  }, [infoKey, api]);

  const start = useCallback(() => {
    if (run.running || problem(draft)) return;
    setReveal((n) => n + 1);
    const factors = draft.sweep.on ? parseFactors(draft.sweep.factors) : null;
    void run.start({
      ...promptOf(draft),
      interventions: draft.features.map((f) => ({ feature: f.feature, mode: f.mode, value: Number(f.value), positions: f.positions })),
      settings: draft.settings,
      ...(factors && 'factors' in factors ? { sweep: factors.factors } : {}),
      samples: draft.samples,
      ...(draft.forkedFrom ? { forkedFrom: draft.forkedFrom.id } : {}),
    });
  }, [draft, run]);

  // Ctrl+Enter runs, Escape cancels
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        start();
      } else if (e.key === 'Escape' && run.running) {
        e.preventDefault();
        void run.cancel();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [start, run]);

  /** Puts a session's prompt, features and settings into the editor; running it again forks it. */
  const loadIntoEditor = useCallback(
    (s: SteerSession) => {
      updateDraft((d) => ({
        ...d,
        mode: s.chat ? 'chat' : 'text',
        prompt: s.chat ? d.prompt : s.prompt,
        chat: s.chat
          ? {
              system: s.chat.messages.find((m) => m.role === 'system')?.content ?? '',
              turns: s.chat.messages.flatMap((m) => (m.role === 'system' ? [] : [{ role: m.role, content: m.content }])),
              addGenerationPrompt: s.chat.addGenerationPrompt,
              template: s.chat.source === 'custom' ? s.chat.template : '',
            }
          : d.chat,
        sweep: s.sweep ? { on: true, factors: s.sweep.join(', ') } : { ...d.sweep, on: false },
        samples: s.samples,
        settings: s.settings,
        features: s.interventions.map((iv) => ({
          ...newDraftFeature(iv.feature, null, iv.mode),
          value: String(iv.value),
          positions: iv.positions,
        })),
        forkedFrom: { id: s.id, name: s.name },
      }));
      // the features' max activations, for the value presets
      for (const iv of s.interventions) {
        void api.request('steer.feature', { id: iv.feature }).then((r) => {
          if (r.ok)
            updateDraft((d) => ({
              ...d,
              features: d.features.map((f) => (f.feature === iv.feature && !f.info ? { ...f, info: r.value } : f)),
            }));
        });
      }
    },
    [api],
  );

  const bad = problem(draft);
  const shownSession = run.view?.session ?? null;
  return (
    <>
      <ScreenHeader
        title="Steer"
        lead="Clamp, add or scale SAE latents while the model writes, and compare the default and the steered continuation side by side. Every run is saved as a session."
      />
      <WorkspaceLine state={ws.state} />
      <div className="grid grid-cols-[minmax(0,1fr)_15rem] items-start gap-5">
        <div className="min-w-0">
          {draft.forkedFrom && (
            <p className="mb-3 flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400" data-testid="forked-from">
              <Badge tone="accent">fork</Badge>
              <span className="min-w-0">
                Editing a copy of <span className="font-medium text-zinc-800 dark:text-zinc-200">{draft.forkedFrom.name}</span>: running
                saves a new session.
              </span>
              <button
                type="button"
                className="whitespace-nowrap underline-offset-2 hover:underline"
                onClick={() => updateDraft((d) => ({ ...d, forkedFrom: null }))}
              >
                start fresh
              </button>
            </p>
          )}
          <section
            aria-label="Prompt"
            className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
          >
            <div className="flex items-center gap-3">
              <label htmlFor="steer-prompt" className="text-sm font-semibold">
                Prompt
              </label>
              <PromptMode mode={draft.mode} />
            </div>
            {draft.mode === 'text' ? (
              <textarea
                id="steer-prompt"
                ref={promptRef}
                value={draft.prompt}
                onChange={(e) => updateDraft((d) => ({ ...d, prompt: e.target.value }))}
                rows={3}
                className="mt-2 block w-full resize-y rounded-md border border-zinc-300 bg-white px-3 py-2 font-mono text-sm text-zinc-900 focus-visible:outline-2 focus-visible:outline-violet-500 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100"
                placeholder="Text the model continues"
              />
            ) : (
              <ChatEditor chat={draft.chat} info={chatInfo.state.status === 'ready' ? chatInfo.state.value : null} />
            )}
            {promptError && draft.mode === 'chat' && (
              <p role="alert" className="mt-2 text-xs text-rose-600 dark:text-rose-400">
                {promptError}
              </p>
            )}
            <PromptTokens tokens={tokens} maxNewTokens={draft.settings.maxNewTokens} chat={draft.mode === 'chat'} />
          </section>

          <section
            aria-label="Steering"
            className="mt-4 rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
          >
            <h2 className="mb-2 text-sm font-semibold">Features</h2>
            {addError && (
              <p role="alert" className="mb-2 text-sm text-rose-600 dark:text-rose-400">
                {addError}
              </p>
            )}
            <Interventions features={draft.features} workspace={info} promptLength={tokens?.ids.length ?? null} />
          </section>

          <section
            aria-label="Generation"
            className="mt-4 rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
          >
            <h2 className="mb-2 text-sm font-semibold">Generation</h2>
            <GenerationForm settings={draft.settings} maxTokens={tokens?.maxPositions ? tokens.maxPositions - tokens.ids.length : null} />
            <SweepForm draft={draft} />
          </section>

          <div className="mt-4 flex flex-wrap items-center gap-3">
            {run.running ? (
              <button
                type="button"
                onClick={() => void run.cancel()}
                aria-keyshortcuts="Escape"
                className="rounded-md bg-rose-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-rose-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-500"
              >
                Cancel <span className="ml-1 text-xs font-normal opacity-80">Esc</span>
              </button>
            ) : (
              <button
                type="button"
                onClick={start}
                disabled={bad !== null}
                aria-keyshortcuts="Control+Enter"
                className="rounded-md bg-violet-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-violet-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-500 disabled:opacity-50"
              >
                Run <span className="ml-1 text-xs font-normal opacity-80">Ctrl+Enter</span>
              </button>
            )}
            {bad && <span className="text-xs text-zinc-500">{bad}</span>}
            {run.startError && <RunError message={run.startError} />}
          </div>

          <div id="steer-results" className="scroll-mt-4">
            {shownSession && <SessionHeader session={shownSession} workspace={info} />}
            {run.view && (run.view.grid ? <Grid view={run.view} runs={run.view.grid} /> : <Outputs view={run.view} />)}
          </div>
        </div>

        <SessionsPanel
          list={sessions.state}
          reload={sessions.reload}
          current={shownSession?.id ?? null}
          onOpen={(s) => {
            run.show(s);
            loadIntoEditor(s);
            setReveal((n) => n + 1);
          }}
          onFork={(s) => {
            run.clear();
            loadIntoEditor(s);
            promptRef.current?.focus();
          }}
          onDeleted={(id) => {
            if (shownSession?.id === id) run.clear();
            if (draft.forkedFrom?.id === id) updateDraft((d) => ({ ...d, forkedFrom: null }));
          }}
        />
      </div>
    </>
  );
}

/** Plain text or chat: a two-way switch (arrow keys move within it, as radio buttons do). */
function PromptMode({ mode }: { mode: Draft['mode'] }) {
  return (
    <div
      role="radiogroup"
      aria-label="Prompt kind"
      className="inline-flex overflow-hidden rounded-md border border-zinc-300 dark:border-zinc-700"
    >
      {(['text', 'chat'] as const).map((m) => (
        <button
          key={m}
          type="button"
          role="radio"
          aria-checked={mode === m}
          tabIndex={mode === m ? 0 : -1}
          onClick={() => updateDraft((d) => ({ ...d, mode: m }))}
          onKeyDown={(e) => {
            if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) {
              e.preventDefault();
              const other = m === 'text' ? 'chat' : 'text';
              updateDraft((d) => ({ ...d, mode: other }));
              (e.currentTarget.parentElement?.querySelector(`[data-mode="${other}"]`) as HTMLElement | null)?.focus();
            }
          }}
          data-mode={m}
          className={cx(
            'px-2.5 py-0.5 text-xs font-medium',
            mode === m
              ? 'bg-violet-600 text-white'
              : 'bg-white text-zinc-700 hover:bg-zinc-50 dark:bg-zinc-900 dark:text-zinc-300 dark:hover:bg-zinc-800',
          )}
        >
          {m === 'text' ? 'Text' : 'Chat'}
        </button>
      ))}
    </div>
  );
}

/** What a failed start means and what to do. */
function RunError({ message }: { message: string }) {
  const noModel = /no model is open|loading|Models/i.test(message);
  return (
    <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">
      {message}
      {noModel && (
        <>
          {' '}
          <a href={href('models')} className="font-medium underline">
            Open Models
          </a>
        </>
      )}
    </p>
  );
}

/** The model, SAE and hook steering runs on, or what to do when there is none. */
function WorkspaceLine({ state }: { state: ReturnType<typeof useRequest<'workspace.get'>>['state'] }) {
  if (state.status === 'loading') return null;
  if (state.status === 'error') {
    return (
      <p role="alert" className="mb-4 text-sm text-rose-600 dark:text-rose-400">
        Could not read the workspace: {state.error.message}
      </p>
    );
  }
  const w = state.value;
  if (!w.selection) {
    return (
      <p
        role="alert"
        className="mb-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200"
      >
        No model is open, so nothing can run yet.{' '}
        <a href={href('models')} className="font-medium underline">
          Open a model and an SAE in Models
        </a>
        , then come back.
      </p>
    );
  }
  if (!w.engine) {
    return w.error ? (
      <p
        role="alert"
        className="mb-4 rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-200"
      >
        The model could not be loaded: {w.error}{' '}
        <a href={href('models')} className="font-medium underline">
          Choose another in Models
        </a>
      </p>
    ) : (
      <p role="status" className="mb-4 text-sm text-zinc-500">
        Loading {baseName(w.selection.model)}… a run started now waits for it.
      </p>
    );
  }
  return (
    <p className="mb-4 flex flex-wrap items-center gap-x-2 text-xs text-zinc-600 dark:text-zinc-400" data-testid="steer-workspace">
      {w.selection.demo && <Badge tone="accent">embedded demo</Badge>}
      <span className="font-mono">{baseName(w.selection.model)}</span>·<span className="font-mono">{baseName(w.selection.sae)}</span>·
      <span className="font-mono">{w.engine.hook}</span>·<span>{w.engine.dSae.toLocaleString()} features</span>·
      <span>{w.engine.provider}</span>
    </p>
  );
}

/** The shown session: its name and time, and a warning when it ran on another model than the open one. */
function SessionHeader({ session, workspace }: { session: SteerSession; workspace: WorkspaceInfo | null }) {
  const sel = workspace?.selection;
  const other =
    sel &&
    workspace.engine &&
    (session.identity.model !== sel.model || session.identity.sae !== sel.sae || session.identity.hook !== workspace.engine.hook);
  return (
    <div className="mt-6 border-t border-zinc-200 pt-4 dark:border-zinc-800" data-testid="steer-session">
      <h2 className="text-base font-semibold break-words" data-testid="steer-session-name">
        {session.name}
      </h2>
      <p className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">
        {when(session.createdAt)} ·{' '}
        {session.identity.demo ? 'embedded demo' : `${baseName(session.identity.model)} / ${baseName(session.identity.sae)}`} at{' '}
        {session.identity.hook} ·{' '}
        {session.settings.greedy
          ? 'greedy'
          : `T ${session.settings.temperature}, top-k ${session.settings.topK || 'off'}, top-p ${session.settings.topP}, seed ${session.settings.seed}`}
        {session.forkedFrom && ' · forked'}
      </p>
      {other && (
        <p className="mt-1 text-xs text-amber-700 dark:text-amber-300">
          This session ran on another model, SAE or hook than the one open now; running it again uses the open one.
        </p>
      )}
    </div>
  );
}
