import { useRef, useState } from 'react';
import { annotationExportFormats, type AnnotationImportResult } from '../../../../shared/annotation-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { bytesToBase64 } from '../../components/base64.ts';
import { Button } from '../../components/ui.tsx';
import { InlineError } from './explorer-ui.tsx';
import { formatCount } from './format.ts';
import { saveTextFile } from '../../components/save-file.ts';

const formatLabels: Record<(typeof annotationExportFormats)[number], string> = {
  json: 'JSON',
  csv: 'CSV',
  neuronpedia: 'Neuronpedia rows',
};

/** A picked file, kept while the user decides (import anyway, map to this SAE). */
interface Picked {
  readonly name: string;
  readonly content: string;
}

/** What waits for the user's confirmation. */
type Pending =
  | { readonly kind: 'other-sae'; readonly file: Picked }
  | { readonly kind: 'map'; readonly file: Picked; readonly from: string; readonly rows: number; readonly ours: string | null };

/**
 * Export buttons (one per format) and an import of SAE Explorer JSON or Neuronpedia
 * explanation exports (.jsonl, .jsonl.gz), with its report. A Neuronpedia file is checked
 * first (a dry run): rows of another SAE are only imported when the user confirms the mapping.
 */
export function ExportImport({ onImported }: { onImported?: () => void }) {
  const api = useApi();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const [result, setResult] = useState<AnnotationImportResult | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const doExport = async (format: (typeof annotationExportFormats)[number]): Promise<void> => {
    setBusy(format);
    setError(null);
    const reply = await api.request('annotation.export', { format });
    setBusy(null);
    if (!reply.ok) return setError(`Export failed: ${reply.error.message}`);
    saveTextFile(reply.value.filename, reply.value.mime, reply.value.content);
    const what = format === 'neuronpedia' ? 'row' : 'annotation';
    setExported(`Saved ${reply.value.filename} (${formatCount(reply.value.count)} ${what}${reply.value.count === 1 ? '' : 's'}).`);
  };

  const send = async (
    file: Picked,
    options: { force?: boolean; neuronpediaId?: string; dryRun?: boolean },
  ): Promise<AnnotationImportResult | null> => {
    setBusy('import');
    setError(null);
    setResult(null);
    setPending(null);
    const reply = await api.request('annotation.import', { content: file.content, encoding: 'base64', name: file.name, ...options });
    setBusy(null);
    if (input.current) input.current.value = '';
    if (!reply.ok) {
      // another SAE's JSON export: nothing was merged; the user may still choose to import it
      if (reply.error.code === 'conflict' && !options.force) {
        setPending({ kind: 'other-sae', file });
        setError(`${file.name} was not imported: ${reply.error.message}`);
      } else setError(`Import of ${file.name} failed: ${reply.error.message}`);
      return null;
    }
    return reply.value;
  };

  const finish = (r: AnnotationImportResult | null): void => {
    if (!r) return;
    setResult(r);
    onImported?.();
  };

  const pick = async (f: File): Promise<void> => {
    let file: Picked;
    try {
      file = { name: f.name, content: bytesToBase64(new Uint8Array(await f.arrayBuffer())) };
    } catch (e) {
      if (input.current) input.current.value = '';
      setPending(null);
      return setError(`Could not read ${f.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const check = await send(file, { dryRun: true });
    if (!check) return;
    if (check.format === 'neuronpedia') {
      const matched = check.matchedId !== null && check.sources.some((s) => s.neuronpediaId === check.matchedId);
      if (!matched) {
        const first = check.sources[0]!;
        setPending({ kind: 'map', file, from: first.neuronpediaId, rows: first.rows, ours: check.matchedId });
        return;
      }
    }
    finish(await send(file, {}));
  };

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-xs text-zinc-500 dark:text-zinc-400">Export as</span>
        {annotationExportFormats.map((f) => (
          <Button key={f} onClick={() => void doExport(f)} disabled={busy !== null}>
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
              if (f) void pick(f);
            }}
          />
        </label>
      </div>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        JSON keeps everything and can be imported back (it merges: your labels and notes win, conflicts are listed). CSV is for
        spreadsheets. Neuronpedia rows are shaped as Neuronpedia’s explanation exports, one per label and per imported explanation, under
        this SAE’s Neuronpedia ids (set them on the Models screen). Import also takes Neuronpedia’s explanation exports (.jsonl or
        .jsonl.gz): they are kept beside your labels, never over them.
      </p>
      {exported && (
        <p role="status" className="text-xs text-emerald-700 dark:text-emerald-400" data-testid="export-status">
          {exported}
        </p>
      )}
      {error && <InlineError>{error}</InlineError>}
      {pending?.kind === 'other-sae' && (
        <Confirm
          testId="import-refused"
          action="Import anyway"
          note="Importing puts its labels on this SAE’s features of the same numbers; it cannot be undone."
          onConfirm={() => void send(pending.file, { force: true }).then(finish)}
          onCancel={() => {
            setPending(null);
            setError(null);
          }}
          busy={busy !== null}
        />
      )}
      {pending?.kind === 'map' && (
        <div className="space-y-2" data-testid="import-mapping">
          <p className="text-sm" role="status">
            {pending.file.name} holds {formatCount(pending.rows)} explanation{pending.rows === 1 ? '' : 's'} of{' '}
            <strong className="font-mono">{pending.from}</strong>;{' '}
            {pending.ours ? (
              <>
                this SAE is <strong className="font-mono">{pending.ours}</strong>.
              </>
            ) : (
              'this SAE has no Neuronpedia id.'
            )}
          </p>
          <Confirm
            action={`Import them as this SAE’s (${pending.from} → this SAE)`}
            note="Only do this when both name the same SAE: feature numbers are matched as they are."
            onConfirm={() => void send(pending.file, { neuronpediaId: pending.from }).then(finish)}
            onCancel={() => setPending(null)}
            busy={busy !== null}
          />
        </div>
      )}
      {result && <ImportReport result={result} />}
    </div>
  );
}

function Confirm({
  action,
  note,
  onConfirm,
  onCancel,
  busy,
  testId,
}: {
  action: string;
  note: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy: boolean;
  testId?: string;
}) {
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid={testId}>
      <Button onClick={onConfirm} disabled={busy}>
        {action}
      </Button>
      <Button onClick={onCancel} disabled={busy}>
        Cancel
      </Button>
      <span className="text-xs text-zinc-500 dark:text-zinc-400">{note}</span>
    </div>
  );
}

function ImportReport({ result }: { result: AnnotationImportResult }) {
  return (
    <div
      role="status"
      className="rounded-lg border border-zinc-200 p-3 text-sm dark:border-zinc-800"
      data-testid="import-result"
      data-format={result.format}
      data-added={result.added}
    >
      {result.format === 'neuronpedia' ? (
        <p>
          Imported <strong>{formatCount(result.added)}</strong> Neuronpedia explanation{result.added === 1 ? '' : 's'}
          {result.matchedId && (
            <>
              {' '}
              of <span className="font-mono">{result.matchedId}</span>
            </>
          )}
          , {formatCount(result.skipped.reduce((a, s) => a + s.count, 0))} skipped.
        </p>
      ) : (
        <p>
          Imported: <strong>{formatCount(result.added)}</strong> added, <strong>{formatCount(result.updated)}</strong> updated,{' '}
          {formatCount(result.unchanged)} unchanged, <strong>{formatCount(result.conflicts.length)}</strong> conflict
          {result.conflicts.length === 1 ? '' : 's'}
          {result.explanationsAdded > 0 && `, ${formatCount(result.explanationsAdded)} explanations`}.
        </p>
      )}
      {result.skipped.length > 0 && (
        <ul className="mt-1 list-disc pl-5 text-xs text-zinc-600 dark:text-zinc-400" data-testid="import-skipped">
          {result.skipped.map((s) => (
            <li key={s.reason} data-reason={s.reason} data-count={s.count}>
              {s.detail}
            </li>
          ))}
        </ul>
      )}
      {result.warning && <p className="mt-1 text-xs text-amber-700 dark:text-amber-400">{result.warning}</p>}
      {result.conflicts.length > 0 && (
        <table className="mt-2 w-full text-xs">
          <caption className="mb-1 text-left text-zinc-500">Kept what is stored; the file’s value is shown for reference.</caption>
          <thead>
            <tr className="text-left text-zinc-500">
              <th className="py-1 pr-2 font-medium">Feature</th>
              <th className="py-1 pr-2 font-medium">Field</th>
              <th className="py-1 pr-2 font-medium">Kept</th>
              <th className="py-1 font-medium">In the file</th>
            </tr>
          </thead>
          <tbody>
            {result.conflicts.map((c) => (
              <tr key={`${c.feature}-${c.field}`} className="border-t border-zinc-100 align-top dark:border-zinc-800">
                <td className="py-1 pr-2 font-mono">
                  <a href={`#/features/${c.feature}`}>#{c.feature}</a>
                </td>
                <td className="py-1 pr-2">{c.field}</td>
                <td className="py-1 pr-2 break-words">{c.ours}</td>
                <td className="py-1 break-words">{c.theirs}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
