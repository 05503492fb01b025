/**
 * Cutting a corpus into windows: each document is tokenized without special tokens, cut
 * into consecutive windows of `context` tokens (the last may be shorter), each window
 * prefixed with BOS when the SAE was trained with one (the BOS counts towards `context`
 * but not towards token statistics). Resumes exactly from a progress row.
 */
import { AppError } from '../../shared/reply.ts';
import type { Corpus } from './corpus.ts';
import type { Progress } from './types.ts';

/** The longest window a model takes, from its config.json (undefined when it names none). */
export function modelMaxPositions(config: Record<string, unknown>): number | undefined {
  for (const k of ['n_positions', 'max_position_embeddings', 'n_ctx']) if (typeof config[k] === 'number') return config[k];
  return undefined;
}

/** The part of the progress row that says where in the corpus the job stands. */
export interface CorpusPosition {
  readonly nextInput: number;
  readonly docWindows: number;
  readonly documents: number;
  readonly tokens: number;
  readonly emptyDocuments: number;
  readonly skippedLines: number;
  readonly docHash: number;
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
  readonly newDocument?: { readonly id: number; readonly source: string; readonly tokens: number };
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

/** 32-bit FNV-1a of a string's UTF-16 code units (cheap identity check on resume). */
export function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
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
  const bos = o.bosId !== undefined;
  const per = o.context - (bos ? 1 : 0);
  let pos: CorpusPosition = {
    nextInput: start.nextInput,
    docWindows: start.docWindows,
    documents: start.documents,
    tokens: start.tokens,
    emptyDocuments: start.emptyDocuments,
    skippedLines: start.skippedLines,
    docHash: start.docHash,
  };
  let windowId = firstWindow;
  const full = (): boolean => o.maxTokens !== null && pos.tokens >= o.maxTokens;
  if (full()) return pos;
  for await (const rec of corpus.records()) {
    if (rec.ordinal < start.nextInput) continue;
    o.onBytes?.(rec.bytesDone);
    if (rec.kind === 'bad') {
      if (o.onBadLine === 'stop') throw new AppError('bad_request', `${rec.message} (pass --on-bad-line skip to skip such lines)`);
      o.warn(`skipped ${rec.message}`);
      pos = { ...pos, nextInput: rec.ordinal + 1, docWindows: 0, skippedLines: pos.skippedLines + 1, docHash: 0 };
      continue;
    }
    const resumeInside = rec.ordinal === start.nextInput && start.docWindows > 0;
    const hash = textHash(rec.text);
    if (resumeInside && hash !== start.docHash) {
      throw new AppError('conflict', `the corpus changed since this index was started: ${rec.source} is not the document it was`);
    }
    let ids = o.tokenize(rec.text);
    // --max-tokens counts from the document's first token, windows already done included
    const before = resumeInside ? pos.tokens - Math.min(ids.length, start.docWindows * per) : pos.tokens;
    if (o.maxTokens !== null && before + ids.length > o.maxTokens) ids = ids.slice(0, Math.max(0, o.maxTokens - before));
    if (!ids.length) {
      pos = { ...pos, nextInput: rec.ordinal + 1, docWindows: 0, emptyDocuments: pos.emptyDocuments + 1, docHash: 0 };
      if (full()) return pos;
      continue;
    }
    const nWindows = Math.ceil(ids.length / per);
    const docId = resumeInside ? pos.documents - 1 : pos.documents;
    const documents = docId + 1;
    for (let w = resumeInside ? start.docWindows : 0; w < nWindows; w++) {
      const body = ids.slice(w * per, (w + 1) * per);
      const last = w === nWindows - 1;
      pos = {
        ...pos,
        documents,
        tokens: pos.tokens + body.length,
        nextInput: last ? rec.ordinal + 1 : rec.ordinal,
        docWindows: last ? 0 : w + 1,
        docHash: last ? 0 : hash,
      };
      yield {
        id: windowId++,
        doc: docId,
        idx: w,
        ids: bos ? [o.bosId!, ...body] : body,
        bos,
        ...(w === 0 ? { newDocument: { id: docId, source: rec.source, tokens: ids.length } } : {}),
        after: pos,
      };
    }
    if (full()) return pos;
  }
  return pos;
}
