/** The Steer screen's effects: revealing results, adding a feature from the URL, refreshing figures, keys, loading a session. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SteerSession } from '#shared/steer-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { href, useRouteParams } from '../../routes.ts';
import { draftNow, newDraftFeature, updateDraft, type DraftChat, type DraftFeature } from './draft.ts';

/** Feature ids being added from the URL, so a double effect (StrictMode) adds each once. */
const adding = new Set<number>();

/** After Run or opening a session, brings the results into view once they render; call the returned function to ask. */
export function useReveal(shownId: string): () => void {
  const [reveal, setReveal] = useState(0);
  const revealedFor = useRef('');
  useEffect(() => {
    const key = `${reveal}/${shownId}`;
    if (!reveal || !shownId || revealedFor.current === key) return;
    revealedFor.current = key;
    document.getElementById('steer-results')?.scrollIntoView({ block: 'start' });
  }, [reveal, shownId]);
  return useCallback(() => setReveal((n) => n + 1), []);
}

/** #/steer?add=<id>: adds that feature (once), then drops the parameter; answers why it could not. */
export function useAddFromUrl(add: (id: number) => Promise<string | null>, features: readonly DraftFeature[]): string | null {
  const [addError, setAddError] = useState<string | null>(null);
  const { query } = useRouteParams();
  const addParam = query.get('add');
  useEffect(() => {
    if (addParam === null) return;
    window.location.replace(href('steer'));
    const id = Number(addParam);
    if (!/^\d+$/.test(addParam)) return setAddError(`“${addParam}” is not a feature id.`);
    if (adding.has(id) || features.some((f) => f.feature === id)) return;
    adding.add(id);
    void add(id).then((err) => {
      adding.delete(id);
      setAddError(err);
    });
  }, [addParam, add, features]);
  return addError;
}

/** When the engine loads or changes, or its index completes (`infoKey` changes), the features' figures are read again. */
export function useFeatureInfoRefresh(infoKey: string | null): void {
  const api = useApi();
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
}

/** Ctrl+Enter runs, Escape cancels. */
export function useRunKeys(start: () => void, run: { readonly running: boolean; readonly cancel: () => Promise<unknown> }): void {
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
}

/** A session's chat as the editor holds it. */
function editorChat(chat: NonNullable<SteerSession['chat']>): DraftChat {
  return {
    system: chat.messages.find((m) => m.role === 'system')?.content ?? '',
    turns: chat.messages.flatMap((m) => (m.role === 'system' ? [] : [{ role: m.role, content: m.content }])),
    addGenerationPrompt: chat.addGenerationPrompt,
    template: chat.source === 'custom' ? chat.template : '',
  };
}

/** Puts a session's prompt, features and settings into the editor; running it again forks it. */
export function useLoadIntoEditor(): (s: SteerSession) => void {
  const api = useApi();
  return useCallback(
    (s: SteerSession) => {
      updateDraft((d) => ({
        ...d,
        mode: s.chat ? 'chat' : 'text',
        prompt: s.chat ? d.prompt : s.prompt,
        chat: s.chat ? editorChat(s.chat) : d.chat,
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
}
