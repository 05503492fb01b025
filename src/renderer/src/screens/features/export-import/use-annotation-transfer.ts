import { useRef, useState } from 'react';
import type { annotationExportFormats, AnnotationImportResult } from '#shared/annotation-types.ts';
import { useApi } from '../../../api/api-context.tsx';
import { bytesToBase64 } from '../../../components/base64.ts';
import { saveTextFile } from '../../../components/save-file.ts';
import { formatCount } from '../common/format.ts';
import { errorMessage } from '#shared/error-message.ts';

export type ExportFormat = (typeof annotationExportFormats)[number];

/** A picked file, kept while the user decides (import anyway, map to this SAE). */
export interface Picked {
  readonly name: string;
  readonly content: string;
}

/** What waits for the user's confirmation. */
export type Pending =
  | { readonly kind: 'other-sae'; readonly file: Picked }
  | { readonly kind: 'map'; readonly file: Picked; readonly from: string; readonly rows: number; readonly ours: string | null };

interface ImportOptions {
  force?: boolean;
  neuronpediaId?: string;
  dryRun?: boolean;
}

/**
 * The state and actions of the annotations' export and import: `busy` names the format being
 * exported or 'import'; a Neuronpedia file is checked first (a dry run) and waits in `pending`
 * when its rows are another SAE's.
 */
export function useAnnotationTransfer(onImported?: () => void) {
  const api = useApi();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const [result, setResult] = useState<AnnotationImportResult | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const doExport = async (format: ExportFormat): Promise<void> => {
    setBusy(format);
    setError(null);
    const reply = await api.request('annotation.export', { format });
    setBusy(null);
    if (!reply.ok) return setError(`Export failed: ${reply.error.message}`);
    saveTextFile(reply.value.filename, reply.value.mime, reply.value.content);
    const what = format === 'neuronpedia' ? 'row' : 'annotation';
    setExported(`Saved ${reply.value.filename} (${formatCount(reply.value.count)} ${what}${reply.value.count === 1 ? '' : 's'}).`);
  };

  const send = async (file: Picked, options: ImportOptions): Promise<AnnotationImportResult | null> => {
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
      return setError(`Could not read ${f.name}: ${errorMessage(e)}`);
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

  /** Imports the pending file with these options (the user confirmed). */
  const confirm = (file: Picked, options: ImportOptions): void => void send(file, options).then(finish);
  const cancel = (clearError: boolean): void => {
    setPending(null);
    if (clearError) setError(null);
  };

  return { busy, error, exported, result, pending, input, doExport, pick, confirm, cancel };
}
