import { useCallback, useEffect, useRef } from 'react';
import { useEvent, useRequest } from '../api/api-context.tsx';
import { ScreenHeader } from '../components/ui.tsx';
import { updateDraft, useDraft } from './steer/draft.ts';
import { Grid } from './steer/Grid.tsx';
import { GenerationForm } from './steer/GenerationForm.tsx';
import { Interventions } from './steer/Interventions.tsx';
import { Outputs } from './steer/Outputs.tsx';
import { ForkedFrom, PromptSection } from './steer/PromptSection.tsx';
import { problem, promptOf, runPayload } from './steer/request.ts';
import { RunBar } from './steer/RunBar.tsx';
import { SessionHeader } from './steer/SessionHeader.tsx';
import { SessionsPanel } from './steer/SessionsPanel.tsx';
import { usePromptTokens } from './steer/PromptTokens.tsx';
import { SweepForm } from './steer/SweepForm.tsx';
import { useAddFeature } from './steer/use-add-feature.ts';
import { useSteerRun } from './steer/use-run.ts';
import { useAddFromUrl, useFeatureInfoRefresh, useLoadIntoEditor, useReveal, useRunKeys } from './steer/use-steer-screen.ts';
import { WorkspaceLine } from './steer/WorkspaceLine.tsx';

const card = 'mt-4 rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900';

/** The workspace (reloaded when it changes or its index job moves) and keys of what it has loaded. */
function useSteerWorkspace() {
  const ws = useRequest('workspace.get');
  useEvent('workspace.changed', ws.reload);
  useEvent('job.state', (s) => {
    if (s.kind === 'index') ws.reload();
  });
  const info = ws.state.status === 'ready' ? ws.state.value : null;
  const engineKey = info?.engine && info.selection ? `${info.selection.model}|${info.selection.sae}|${info.engine.hook}` : null;
  // when the engine loads or changes, or its index completes, the features' figures are read again
  useFeatureInfoRefresh(engineKey === null ? null : `${engineKey}|${info?.index?.state ?? ''}`);
  const chatInfo = useRequest('steer.chatInfo');
  const reloadChatInfo = chatInfo.reload;
  useEffect(() => {
    if (engineKey !== null) reloadChatInfo();
  }, [engineKey, reloadChatInfo]);
  return { ws, info, engineKey, chatInfo: chatInfo.state.status === 'ready' ? chatInfo.state.value : null };
}

/** Steering: clamp, add or scale SAE latents and compare default and steered continuations side by side; every run is a saved session. */
export function Steer() {
  const draft = useDraft();
  const { ws, info, engineKey, chatInfo } = useSteerWorkspace();
  const sessions = useRequest('session.list');
  const run = useSteerRun(draft.shown, sessions.reload);
  const { add } = useAddFeature();
  const addError = useAddFromUrl(add, draft.features);
  const shownSession = run.view?.session ?? null;
  const reveal = useReveal(shownSession?.id ?? '');
  const promptRef = useRef<HTMLTextAreaElement>(null);
  const { tokens, error: promptError } = usePromptTokens(promptOf(draft), engineKey);
  const loadIntoEditor = useLoadIntoEditor();
  const start = useCallback(() => {
    if (run.running || problem(draft)) return;
    reveal();
    void run.start(runPayload(draft));
  }, [draft, run, reveal]);
  useRunKeys(start, run);
  return (
    <>
      <ScreenHeader
        title="Steer"
        lead="Clamp, add or scale SAE latents while the model writes, and compare the default and the steered continuation side by side. Every run is saved as a session."
      />
      <WorkspaceLine state={ws.state} />
      <div className="grid grid-cols-[minmax(0,1fr)_15rem] items-start gap-5">
        <div className="min-w-0">
          {draft.forkedFrom && <ForkedFrom from={draft.forkedFrom} />}
          <PromptSection draft={draft} promptRef={promptRef} chatInfo={chatInfo} tokens={tokens} promptError={promptError} />
          <section aria-label="Steering" className={card}>
            <h2 className="mb-2 text-sm font-semibold">Features</h2>
            {addError && (
              <p role="alert" className="mb-2 text-sm text-rose-600 dark:text-rose-400">
                {addError}
              </p>
            )}
            <Interventions features={draft.features} workspace={info} promptLength={tokens?.ids.length ?? null} />
          </section>
          <section aria-label="Generation" className={card}>
            <h2 className="mb-2 text-sm font-semibold">Generation</h2>
            <GenerationForm settings={draft.settings} maxTokens={tokens?.maxPositions ? tokens.maxPositions - tokens.ids.length : null} />
            <SweepForm draft={draft} />
          </section>
          <RunBar
            running={run.running}
            start={start}
            cancel={() => void run.cancel()}
            problem={problem(draft)}
            startError={run.startError}
          />
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
            reveal();
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
