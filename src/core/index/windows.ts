/**
 * Cutting a corpus into windows: each document is tokenized without special tokens, cut
 * into consecutive windows of `context` tokens (the last may be shorter), each window
 * prefixed with BOS when the SAE was trained with one (the BOS counts towards `context`
 * but not towards token statistics); pre-tokenized documents keep their ids as given
 * (doc-windows.ts). Resumes exactly from a progress row.
 */
import { AppError } from '#shared/reply.ts';
import { BadRecordError } from './bad-record.ts';
import type { Corpus } from './corpus.ts';
import { cutDocument } from './doc-windows.ts';
import type { CorpusCursor, Progress } from './types.ts';
import { InputFileError } from '../kernel/input-file-error.ts';

export { textHash } from './doc-windows.ts';

/** The part of the progress row that says where in the corpus the job stands. */
export interface CorpusPosition {
  readonly nextInput: number;
  readonly docWindows: number;
  readonly documents: number;
  readonly tokens: number;
  readonly emptyDocuments: number;
  readonly skippedLines: number;
  readonly docHash: number;
  /** Where a resumed job reads on from (see Progress.cursor). */
  readonly cursor: CorpusCursor | null;
}

/** A window ready to capture, with where the corpus stands once it is committed. */
export interface PendingWindow {
  readonly id: number;
  readonly doc: number;
  readonly idx: number;
  /** Token ids as run (BOS first when `bos`). */
  readonly ids: number[];
  readonly bos: boolean;
  /** Set on a document's first window: the documents row to insert with it. */
  readonly newDocument?: { readonly id: number; readonly input: number; readonly source: string; readonly tokens: number };
  /** The corpus position after this window. */
  readonly after: CorpusPosition;
}

/** How windows are cut. */
export interface WindowOptions {
  readonly context: number;
  /** BOS id to prepend to every window, or undefined. */
  readonly bosId: number | undefined;
  readonly maxTokens: number | null;
  readonly onBadLine: 'skip' | 'stop';
  readonly tokenize: (text: string) => number[];
  /** Called for every skipped bad record (after resume, only for new ones). */
  readonly warn: (message: string) => void;
  /** Corpus bytes read so far (for progress estimates). */
  readonly onBytes?: (bytes: number) => void;
}

/** The corpus position a progress row records. */
function corpusPosition(start: Progress): CorpusPosition {
  return {
    nextInput: start.nextInput,
    docWindows: start.docWindows,
    documents: start.documents,
    tokens: start.tokens,
    emptyDocuments: start.emptyDocuments,
    skippedLines: start.skippedLines,
    docHash: start.docHash,
    cursor: start.cursor,
  };
}

/**
 * Yields the corpus's windows from `start` on, numbered from `firstWindow`; returns the
 * final corpus position (trailing empty documents and bad lines included).
 */
export async function* corpusWindows(
  corpus: Corpus,
  start: Progress,
  firstWindow: number,
  o: WindowOptions,
): AsyncGenerator<PendingWindow, CorpusPosition> {
  let pos = corpusPosition(start);
  let windowId = firstWindow;
  const full = (): boolean => o.maxTokens !== null && pos.tokens >= o.maxTokens;
  if (full()) return pos;
  // seek to where the last run stopped when it recorded the place (records before nextInput are skipped either way)
  for await (const rec of corpus.records(start.nextInput > 0 ? start.cursor : null)) {
    if (rec.ordinal < start.nextInput) continue;
    o.onBytes?.(rec.bytesDone);
    const skipBad = (message: string): void => {
      if (o.onBadLine === 'stop') throw new InputFileError(`${message} (pass --on-bad-line skip to skip such lines)`);
      o.warn(`skipped ${message}`);
      pos = { ...pos, nextInput: rec.ordinal + 1, docWindows: 0, skippedLines: pos.skippedLines + 1, docHash: 0, cursor: rec.next };
    };
    if (rec.kind === 'bad') {
      skipBad(rec.message);
      continue;
    }
    const resumeInside = rec.ordinal === start.nextInput && start.docWindows > 0;
    let cut;
    try {
      cut = await cutDocument(rec, {
        context: o.context,
        bosId: o.bosId,
        tokenize: o.tokenize,
        maxTokens: o.maxTokens,
        tokensBefore: pos.tokens,
        doneWindows: resumeInside ? start.docWindows : 0,
        storedHash: resumeInside ? start.docHash : undefined,
      });
    } catch (e) {
      // a long line found malformed while its text was read: a bad line like any other
      if (!(e instanceof BadRecordError)) throw e;
      skipBad(e.message);
      continue;
    }
    if (resumeInside && cut.hash !== start.docHash) {
      throw new AppError('conflict', `the corpus changed since this index was started: ${rec.source} is not the document it was`);
    }
    if (!cut.count) {
      pos = { ...pos, nextInput: rec.ordinal + 1, docWindows: 0, emptyDocuments: pos.emptyDocuments + 1, docHash: 0, cursor: rec.next };
      if (full()) return pos;
      continue;
    }
    const docId = resumeInside ? pos.documents - 1 : pos.documents;
    const documents = docId + 1;
    for (let w = resumeInside ? start.docWindows : 0; w < cut.count; w++) {
      const win = cut.window(w);
      const last = w === cut.count - 1;
      pos = {
        ...pos,
        documents,
        tokens: pos.tokens + win.tokens,
        nextInput: last ? rec.ordinal + 1 : rec.ordinal,
        docWindows: last ? 0 : w + 1,
        docHash: last ? 0 : cut.hash,
        cursor: last ? rec.next : rec.at,
      };
      yield {
        id: windowId++,
        doc: docId,
        idx: w,
        ids: win.ids,
        bos: win.bos,
        ...(w === 0 ? { newDocument: { id: docId, input: rec.ordinal, source: rec.source, tokens: cut.tokens } } : {}),
        after: pos,
      };
    }
    if (full()) return pos;
  }
  return pos;
}
