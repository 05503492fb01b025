import { useEffect, useId, useRef, useState } from 'react';
import type { Annotation } from '../../../../shared/annotation-types.ts';
import { useApi, useRequest } from '../../api/api-context.tsx';
import { cx, ErrorNote } from '../../components/ui.tsx';
import { AnnotationSaver, type AnnotationPatch, type SaveStatus } from './annotation-saver.ts';
import { draftKey, readDraft, writeDraft } from './draft-backup.ts';
import { InlineError, inputClass, Loading } from './explorer-ui.tsx';
import { ListPicker } from './ListPicker.tsx';
import { SaveIndicator } from './SaveIndicator.tsx';
import { checkTags } from './tag-check.ts';
import { formatTags } from './tags.ts';

/** Quiet time after typing before a save. */
const SAVE_DELAY_MS = 600;

interface Fields {
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

/**
 * Label, notes, tags, star and lists of one feature, saved as you type (debounced, flushed
 * on blur and when the page closes), with unsaved edits backed up until core has them.
 */
export function AnnotationEditor({ feature, saeKey }: { feature: number; saeKey: string }) {
  const { state, reload } = useRequest('annotation.get', { feature });
  if (state.status === 'loading') return <Loading what="the annotation" />;
  if (state.status === 'error')
    return <ErrorNote title="Could not load this feature’s annotation" message={state.error.message} onRetry={reload} />;
  return <Editor feature={feature} stored={state.value} backupKey={draftKey(saeKey, feature)} />;
}

function Editor({ feature, stored, backupKey }: { feature: number; stored: Annotation | null; backupKey: string }) {
  const api = useApi();
  const [restored] = useState(() => readDraft(backupKey));
  const [fields, setFields] = useState<Fields>(() => fieldsOf(stored, restored));
  const [status, setStatus] = useState<SaveStatus>({ state: 'idle' });
  const [listsVersion, setListsVersion] = useState(0);
  // why the Tags text cannot be saved as typed (checked here, before it is sent)
  const [tagsProblem, setTagsProblem] = useState<string | null>(null);
  const saver = useRef<AnnotationSaver | null>(null);
  const ids = useId();

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

  return (
    <form
      className="space-y-3"
      aria-label={`Annotation of feature ${feature}`}
      onSubmit={(e) => e.preventDefault()}
      data-testid="annotation-editor"
    >
      <div className="flex items-center gap-2">
        <input
          aria-label="Label"
          placeholder="Label this feature…"
          value={fields.label}
          maxLength={500}
          onChange={(e) => change({ label: e.target.value }, { label: e.target.value })}
          onBlur={flush}
          className={`${inputClass} min-w-0 flex-1 font-medium`}
        />
        <button
          type="button"
          aria-pressed={fields.starred}
          aria-label={fields.starred ? 'Unstar' : 'Star'}
          title={fields.starred ? 'Starred' : 'Star this feature'}
          onClick={() => change({ starred: !fields.starred }, { starred: !fields.starred }, true)}
          className={cx(
            'rounded-md px-2 py-1 text-lg leading-none focus-visible:outline-2 focus-visible:outline-violet-500',
            fields.starred ? 'text-amber-500' : 'text-zinc-300 hover:text-amber-400 dark:text-zinc-600',
          )}
        >
          {fields.starred ? '★' : '☆'}
        </button>
      </div>
      {refusal('label') && <InlineError>{refusal('label')}</InlineError>}
      <textarea
        aria-label="Notes"
        placeholder="Notes: what it fires on, counter-examples, hypotheses…"
        value={fields.notes}
        rows={4}
        maxLength={100_000}
        onChange={(e) => change({ notes: e.target.value }, { notes: e.target.value })}
        onBlur={flush}
        className={`${inputClass} block w-full text-sm`}
      />
      {refusal('notes') && <InlineError>{refusal('notes')}</InlineError>}
      <input
        aria-label="Tags"
        placeholder="Tags, comma separated"
        value={fields.tagsText}
        onChange={(e) => changeTags(e.target.value)}
        onBlur={flush}
        aria-invalid={tagsError !== null}
        aria-describedby={tagsError ? `${ids}-tags-error` : undefined}
        className={`${inputClass} block w-full text-xs aria-invalid:border-rose-500 dark:aria-invalid:border-rose-500`}
      />
      {tagsError && (
        <div id={`${ids}-tags-error`} data-testid="tags-error">
          <InlineError>{tagsError}</InlineError>
        </div>
      )}
      <ListPicker lists={fields.lists} version={listsVersion} onChange={(lists) => change({ lists }, { lists }, true)} />
      {refusal('lists') && <InlineError>{refusal('lists')}</InlineError>}
      <div className="flex items-center justify-between gap-2">
        <SaveIndicator status={status} />
        {restored && status.state !== 'idle' && <span className="text-xs text-zinc-500">restored unsaved edits</span>}
      </div>
    </form>
  );
}
