import { useRef, useState } from 'react';
import { annotationExportFormats, type AnnotationImportResult } from '../../../../shared/annotation-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { Button } from '../../components/ui.tsx';
import { InlineError } from './explorer-ui.tsx';
import { formatCount } from './format.ts';
import { saveTextFile } from '../../components/save-file.ts';

const formatLabels: Record<(typeof annotationExportFormats)[number], string> = {
  json: 'JSON',
  csv: 'CSV',
  neuronpedia: 'Neuronpedia JSONL',
};

/** Export buttons (one per format) and a JSON import with its merge report. */
export function ExportImport({ onImported }: { onImported?: () => void }) {
  const api = useApi();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const [result, setResult] = useState<AnnotationImportResult | null>(null);
  // A file refused for being another SAE's, kept so "Import anyway" can resend it with force.
  const [refused, setRefused] = useState<{ name: string; content: string } | null>(null);
  const file = useRef<HTMLInputElement>(null);

  const doExport = async (format: (typeof annotationExportFormats)[number]): Promise<void> => {
    setBusy(format);
    setError(null);
    const reply = await api.request('annotation.export', { format });
    setBusy(null);
    if (!reply.ok) return setError(`Export failed: ${reply.error.message}`);
    saveTextFile(reply.value.filename, reply.value.mime, reply.value.content);
    setExported(`Saved ${reply.value.filename} (${formatCount(reply.value.count)} annotation${reply.value.count === 1 ? '' : 's'}).`);
  };

  const send = async (name: string, content: string, force: boolean): Promise<void> => {
    setBusy('import');
    setError(null);
    setResult(null);
    setRefused(null);
    const reply = await api.request('annotation.import', force ? { content, force } : { content });
    setBusy(null);
    if (file.current) file.current.value = '';
    if (!reply.ok) {
      // another SAE's file: nothing was merged; the user may still choose to import it
      if (reply.error.code === 'conflict' && !force) {
        setRefused({ name, content });
        return setError(`${name} was not imported: ${reply.error.message}`);
      }
      return setError(`Import of ${name} failed: ${reply.error.message}`);
    }
    setResult(reply.value);
    onImported?.();
  };

  const doImport = async (f: File): Promise<void> => {
    let content: string;
    try {
      content = await f.text();
    } catch (e) {
      if (file.current) file.current.value = '';
      setRefused(null);
      return setError(`Could not read ${f.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    await send(f.name, content, false);
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
          {busy === 'import' ? 'Importing…' : 'Import JSON…'}
          <input
            ref={file}
            type="file"
            accept=".json,application/json"
            aria-label="Import annotations from a JSON file"
            className="sr-only"
            disabled={busy !== null}
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void doImport(f);
            }}
          />
        </label>
      </div>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        JSON keeps everything and can be imported back (it merges: your labels and notes win, conflicts are listed). CSV is for
        spreadsheets; Neuronpedia JSONL holds one explanation per labelled feature.
      </p>
      {exported && (
        <p role="status" className="text-xs text-emerald-700 dark:text-emerald-400" data-testid="export-status">
          {exported}
        </p>
      )}
      {error && <InlineError>{error}</InlineError>}
      {refused && (
        <div className="flex flex-wrap items-center gap-2" data-testid="import-refused">
          <Button onClick={() => void send(refused.name, refused.content, true)} disabled={busy !== null}>
            Import anyway
          </Button>
          <Button
            onClick={() => {
              setRefused(null);
              setError(null);
            }}
            disabled={busy !== null}
          >
            Cancel
          </Button>
          <span className="text-xs text-zinc-500 dark:text-zinc-400">
            Importing puts its labels on this SAE’s features of the same numbers; it cannot be undone.
          </span>
        </div>
      )}
      {result && <ImportReport result={result} />}
    </div>
  );
}

function ImportReport({ result }: { result: AnnotationImportResult }) {
  return (
    <div role="status" className="rounded-lg border border-zinc-200 p-3 text-sm dark:border-zinc-800" data-testid="import-result">
      <p>
        Imported: <strong>{formatCount(result.added)}</strong> added, <strong>{formatCount(result.updated)}</strong> updated,{' '}
        {formatCount(result.unchanged)} unchanged, <strong>{formatCount(result.conflicts.length)}</strong> conflict
        {result.conflicts.length === 1 ? '' : 's'}.
      </p>
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
