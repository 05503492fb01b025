/**
 * One document cut into windows, reading and tokenizing only what the token budget needs.
 *
 * Text: tokenized without special tokens and cut into windows of `context − 1` tokens after a
 * BOS (when the SAE has one) or `context` tokens. Under --max-tokens only a prefix is
 * tokenized: a prefix of about 6 characters per token needed, doubled until it yields 64
 * tokens more than needed (BPE differs from the whole text's only near the cut), so a 10 MB
 * document indexed to 2,000 tokens costs a few kilobytes of text.
 *
 * Token ids (pre-tokenized corpora): used as they are, cut into windows of `context` ids, no
 * BOS added (SAELens's convention for tokenized datasets); a window whose first id is the BOS
 * id counts that position nowhere, like the BOS the text path adds.
 */
import type { CorpusDocument, CorpusTextStream, CorpusTokenDocument } from './corpus.ts';

/** One window: the ids as run, whether ids[0] is a BOS that counts nowhere, and the tokens it counts. */
export interface DocWindow {
  readonly ids: number[];
  readonly bos: boolean;
  readonly tokens: number;
}

/** A document cut into windows (made on demand: a long document's windows are not all held twice). */
export interface DocumentCut {
  readonly count: number;
  /** Tokens over all its windows (BOS not counted). */
  readonly tokens: number;
  /** Identity of what was read (checked when a job resumes inside the document). */
  readonly hash: number;
  window(w: number): DocWindow;
}

/** How to cut a document. */
export interface CutOptions {
  /** Window length, BOS included. */
  readonly context: number;
  /** The BOS id of an SAE trained with one, else undefined. */
  readonly bosId: number | undefined;
  readonly tokenize: (text: string) => number[];
  readonly maxTokens: number | null;
  /** Tokens counted so far by the job (resuming inside this document: its committed windows included). */
  readonly tokensBefore: number;
  /** Windows of this document already committed (resuming inside it), else 0. */
  readonly doneWindows: number;
  /**
   * The hash stored when resuming inside it: a text read only in part is then hashed whole
   * too, so that an index started before prefixes were read (which hashed the whole text) resumes.
   */
  readonly storedHash?: number | undefined;
}

const MIN_CHARS = 4096;
const CHARS_PER_TOKEN = 6;
/** Tokens beyond the budget a prefix must yield before its first `budget` tokens are trusted. */
const MARGIN = 64;

/** 32-bit FNV-1a over UTF-16 code units, continuing from `h` (a previous result, or the offset basis). */
function fnv(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** 32-bit FNV-1a of a string's UTF-16 code units (cheap identity check on resume). */
export function textHash(text: string): number {
  return fnv(0x811c9dc5, text);
}

/** 32-bit FNV-1a over token ids. */
function idsHash(ids: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const id of ids) h = Math.imul(h ^ id, 0x01000193);
  return h >>> 0;
}

/** Cuts a document (text, long text or token ids) into its windows under the token budget. */
export async function cutDocument(rec: CorpusDocument | CorpusTextStream | CorpusTokenDocument, o: CutOptions): Promise<DocumentCut> {
  return rec.kind === 'tokens' ? cutTokens(rec, o) : cutText(rec, o);
}

async function cutText(rec: CorpusDocument | CorpusTextStream, o: CutOptions): Promise<DocumentCut> {
  const bos = o.bosId !== undefined;
  const per = o.context - (bos ? 1 : 0);
  // --max-tokens counts from the document's first token, windows already done included
  const docStart = o.tokensBefore - o.doneWindows * per;
  const budget = o.maxTokens === null ? null : o.maxTokens - docStart;
  const { ids, hash } = budget !== null && budget <= 0 ? { ids: [], hash: 0 } : await textIds(rec, budget, o);
  return {
    count: Math.ceil(ids.length / per),
    tokens: ids.length,
    hash,
    window(w) {
      const body = ids.slice(w * per, (w + 1) * per);
      return { ids: bos ? [o.bosId!, ...body] : body, bos, tokens: body.length };
    },
  };
}

/** Initial prefix length in characters for `budget` tokens. */
function firstPrefix(budget: number): number {
  return Math.max(MIN_CHARS, (budget + MARGIN) * CHARS_PER_TOKEN);
}

/** The first `budget` tokens (all when null) of a text, and its hash. */
async function textIds(
  rec: CorpusDocument | CorpusTextStream,
  budget: number | null,
  o: CutOptions,
): Promise<{ ids: number[]; hash: number }> {
  if (rec.kind === 'doc') {
    const text = rec.text;
    const hash = textHash(text);
    if (budget === null) return { ids: o.tokenize(text), hash };
    for (let n = firstPrefix(budget); ; n *= 2) {
      if (n >= text.length) return { ids: o.tokenize(text).slice(0, budget), hash };
      const ids = o.tokenize(text.slice(0, n));
      if (ids.length >= budget + MARGIN) return { ids: ids.slice(0, budget), hash };
    }
  }
  const gen = rec.chunks();
  try {
    let text = '';
    let ended = false;
    const fill = async (n: number): Promise<void> => {
      while (!ended && text.length < n) {
        const r = await gen.next();
        if (r.done) ended = true;
        else text += r.value;
      }
    };
    if (budget === null) {
      await fill(Infinity);
      return { ids: o.tokenize(text), hash: textHash(text) };
    }
    for (let n = firstPrefix(budget); ; n *= 2) {
      await fill(n);
      if (ended && text.length <= n) return { ids: o.tokenize(text).slice(0, budget), hash: textHash(text) };
      const prefix = text.slice(0, n);
      const ids = o.tokenize(prefix);
      if (ids.length < budget + MARGIN) continue;
      let hash = ended ? textHash(text) : textHash(prefix);
      if (!ended && o.storedHash !== undefined && hash !== o.storedHash) {
        let whole = textHash(text);
        for (let r = await gen.next(); !r.done; r = await gen.next()) whole = fnv(whole, r.value);
        if (whole === o.storedHash) hash = whole;
      }
      return { ids: ids.slice(0, budget), hash };
    }
  } finally {
    await gen.return();
  }
}

async function cutTokens(rec: CorpusTokenDocument, o: CutOptions): Promise<DocumentCut> {
  const C = o.context;
  // ids to read: the committed windows, then enough for the budget (a window counts ≥ C − 1 tokens)
  let need = Infinity;
  if (o.maxTokens !== null) {
    const remaining = Math.max(0, o.maxTokens - o.tokensBefore);
    need = o.doneWindows * C + remaining + Math.ceil(remaining / Math.max(1, C - 1)) + 1;
  }
  const ids: number[] = [];
  const gen = rec.chunks();
  try {
    while (ids.length < need) {
      const r = await gen.next();
      if (r.done) break;
      for (const id of r.value) ids.push(id);
    }
  } finally {
    await gen.return();
  }
  const isBos = (w: number): boolean => o.bosId !== undefined && ids[w * C] === o.bosId;
  const counted = (w: number): number => Math.min(C, ids.length - w * C) - (isBos(w) ? 1 : 0);
  let done = 0;
  for (let w = 0; w < o.doneWindows && w * C < ids.length; w++) done += counted(w);
  const docStart = o.tokensBefore - done;
  let used = ids.length;
  let tokens = 0;
  for (let w = 0; w * C < ids.length; w++) {
    const n = counted(w);
    if (n === 0) {
      used = w * C; // a last window holding only a BOS
      break;
    }
    if (o.maxTokens !== null && docStart + tokens + n > o.maxTokens) {
      const keep = o.maxTokens - docStart - tokens;
      used = keep > 0 ? w * C + keep + (isBos(w) ? 1 : 0) : w * C;
      tokens += Math.max(0, keep);
      break;
    }
    tokens += n;
  }
  ids.length = used;
  return {
    count: Math.ceil(used / C),
    tokens,
    hash: idsHash(ids),
    window(w) {
      const win = ids.slice(w * C, (w + 1) * C);
      const bos = isBos(w);
      return { ids: win, bos, tokens: win.length - (bos ? 1 : 0) };
    },
  };
}
