import { useEffect, useRef, useState } from 'react';
import type { Annotation } from '#shared/annotation-types.ts';
import { useApi } from '../../../api/api-context.tsx';
import { AnnotationSaver, type AnnotationPatch, type SaveStatus } from './annotation-saver.ts';
import { readDraft, writeDraft } from './draft-backup.ts';
import { checkTags } from './tag-check.ts';
import { formatTags } from './tags.ts';

/** Quiet time after typing before a save. */
const SAVE_DELAY_MS = 600;

/** The editor's fields as shown (tags as typed). */
export interface Fields {
  label: string;
  notes: string;
  tagsText: string;
  starred: boolean;
  lists: string[];
}

function fieldsOf(a: Annotation | null, draft: AnnotationPatch | null): Fields {
  const tags = draft?.tags ?? a?.tags ?? [];
  return {
    label: draft?.label ?? a?.label ?? '',
    notes: draft?.notes ?? a?.notes ?? '',
    tagsText: formatTags(tags),
    starred: draft?.starred ?? a?.starred ?? false,
    lists: [...(draft?.lists ?? a?.lists ?? [])],
  };
}

/** An AnnotationSaver for one feature, flushed when the page closes and on unmount. */
function useSaver(feature: number, backupKey: string, restored: AnnotationPatch | null) {
  const api = useApi();
  const [status, setStatus] = useState<SaveStatus>({ state: 'idle' });
  const [listsVersion, setListsVersion] = useState(0);
  const saver = useRef<AnnotationSaver | null>(null);

  useEffect(() => {
    const s = new AnnotationSaver({
      delay: SAVE_DELAY_MS,
      save: (patch) => api.request('annotation.set', { feature, ...patch }),
      setTimer: (fn, ms) => window.setTimeout(fn, ms),
      clearTimer: (h) => window.clearTimeout(h as number),
      onStatus: setStatus,
      onPending: (p) => writeDraft(backupKey, p),
      // List sizes may have changed: the picker refetches them.
      onSaved: () => setListsVersion((v) => v + 1),
    });
    saver.current = s;
    // Edits restored from a backup were never confirmed: save them again.
    if (restored) s.change(restored);
    const flush = (): void => void s.flush();
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      void s.flush();
      s.dispose();
    };
  }, [api, feature, backupKey, restored]);

  return { saver, status, listsVersion };
}

/**
 * The fields of one feature's annotation, saved as they change (debounced; `now` saves at
 * once), with unsaved edits backed up under `backupKey` until core has them.
 */
export function useAnnotationEditing(feature: number, stored: Annotation | null, backupKey: string) {
  const [restored] = useState(() => readDraft(backupKey));
  const [fields, setFields] = useState<Fields>(() => fieldsOf(stored, restored));
  // why the Tags text cannot be saved as typed (checked here, before it is sent)
  const [tagsProblem, setTagsProblem] = useState<string | null>(null);
  const { saver, status, listsVersion } = useSaver(feature, backupKey, restored);

  const change = (next: Partial<Fields>, patch: AnnotationPatch, now = false): void => {
    setFields((f) => ({ ...f, ...next }));
    saver.current?.change(patch);
    if (now) void saver.current?.flush();
  };
  const flush = (): void => void saver.current?.flush();
  // a save core refused as invalid, shown next to the field it names
  const refusal = (field: keyof AnnotationPatch): string | null =>
    status.state === 'error' && !status.retrying && status.field === field ? status.message : null;
  const tagsError = tagsProblem ?? refusal('tags');
  const changeTags = (text: string): void => {
    const checked = checkTags(text);
    setTagsProblem(checked.error);
    if (checked.tags) change({ tagsText: text }, { tags: checked.tags });
    else setFields((f) => ({ ...f, tagsText: text }));
  };

  return { fields, status, restored, listsVersion, change, flush, refusal, tagsError, changeTags };
}
