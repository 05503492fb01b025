import type { RefObject } from 'react';
import { annotationExportFormats } from '#shared/annotation-types.ts';
import { Button } from '../../../components/ui.tsx';
import { InlineError } from '../common/explorer-ui.tsx';
import { ImportReport } from './ImportReport.tsx';
import { PendingImport } from './PendingImport.tsx';
import { useAnnotationTransfer, type ExportFormat } from './use-annotation-transfer.ts';

const formatLabels: Record<ExportFormat, string> = {
  json: 'JSON',
  csv: 'CSV',
  neuronpedia: 'Neuronpedia rows',
};

/**
 * Export buttons (one per format) and an import of SAE Explorer JSON or Neuronpedia
 * explanation exports (.jsonl, .jsonl.gz), with its report. A Neuronpedia file is checked
 * first (a dry run): rows of another SAE are only imported when the user confirms the mapping.
 */
export function ExportImport({ onImported }: { onImported?: () => void }) {
  const t = useAnnotationTransfer(onImported);
  return (
    <div className="space-y-3">
      <TransferBar busy={t.busy} input={t.input} onExport={(f) => void t.doExport(f)} onPick={(f) => void t.pick(f)} />
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        JSON keeps everything and can be imported back (it merges: your labels and notes win, conflicts are listed). CSV is for
        spreadsheets. Neuronpedia rows are shaped as Neuronpedia’s explanation exports, one per label and per imported explanation, under
        this SAE’s Neuronpedia ids (set them on the Models screen). Import also takes Neuronpedia’s explanation exports (.jsonl or
        .jsonl.gz): they are kept beside your labels, never over them.
      </p>
      {t.exported && (
        <p role="status" className="text-xs text-emerald-700 dark:text-emerald-400" data-testid="export-status">
          {t.exported}
        </p>
      )}
      {t.error && <InlineError>{t.error}</InlineError>}
      {t.pending && <PendingImport pending={t.pending} busy={t.busy !== null} onConfirm={t.confirm} onCancel={t.cancel} />}
      {t.result && <ImportReport result={t.result} />}
    </div>
  );
}

/** One export button per format, then the import's file picker. */
function TransferBar({
  busy,
  input,
  onExport,
  onPick,
}: {
  busy: string | null;
  input: RefObject<HTMLInputElement | null>;
  onExport: (format: ExportFormat) => void;
  onPick: (file: File) => void;
}) {
  return (
    <div className="flex flex-wrap items-center gap-2">
      <span className="text-xs text-zinc-500 dark:text-zinc-400">Export as</span>
      {annotationExportFormats.map((f) => (
        <Button key={f} onClick={() => onExport(f)} disabled={busy !== null}>
          {busy === f ? 'Exporting…' : formatLabels[f]}
        </Button>
      ))}
      <span className="mx-2 h-5 w-px bg-zinc-200 dark:bg-zinc-700" aria-hidden="true" />
      <label className="inline-flex cursor-pointer items-center gap-1.5 rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-xs font-medium text-zinc-700 shadow-sm focus-within:outline-2 focus-within:outline-violet-500 hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-200 dark:hover:bg-zinc-700">
        {busy === 'import' ? 'Importing…' : 'Import…'}
        <input
          ref={input}
          type="file"
          accept=".json,.jsonl,.gz,application/json,application/gzip"
          aria-label="Import annotations from a file (JSON, or Neuronpedia .jsonl / .jsonl.gz)"
          className="sr-only"
          disabled={busy !== null}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) onPick(f);
          }}
        />
      </label>
    </div>
  );
}
