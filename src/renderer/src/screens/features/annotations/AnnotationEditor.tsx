import { useId } from 'react';
import type { Annotation } from '#shared/annotation-types.ts';
import { useRequest } from '../../../api/api-context.tsx';
import { ErrorNote } from '../../../components/ui.tsx';
import { InlineError, inputClass, Loading } from '../common/explorer-ui.tsx';
import { draftKey } from './draft-backup.ts';
import { LabelRow } from './LabelRow.tsx';
import { ListPicker } from './ListPicker.tsx';
import { SaveIndicator } from './SaveIndicator.tsx';
import { useAnnotationEditing } from './use-annotation-editing.ts';

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
  const { fields, status, restored, listsVersion, change, flush, refusal, tagsError, changeTags } = useAnnotationEditing(
    feature,
    stored,
    backupKey,
  );
  const ids = useId();

  return (
    <form
      className="space-y-3"
      aria-label={`Annotation of feature ${feature}`}
      onSubmit={(e) => e.preventDefault()}
      data-testid="annotation-editor"
    >
      <LabelRow
        label={fields.label}
        starred={fields.starred}
        onLabel={(label) => change({ label }, { label })}
        onStar={() => change({ starred: !fields.starred }, { starred: !fields.starred }, true)}
        onBlur={flush}
      />
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
