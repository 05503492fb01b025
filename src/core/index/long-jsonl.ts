/**
 * A JSONL record too long to hold (a 10 MB single-line document): its keys are walked from the
 * file, and the text (or the token list of a pre-tokenized corpus) is handed on as a stream
 * that reads only as far as it is consumed. The rest of the line is checked only when the
 * stream is read to its end (malformed JSON found then throws a BadRecordError).
 */
import { BadRecordError } from './bad-record.ts';
import { JsonCursor, JsonLineError } from './json-cursor.ts';
import type { LongLine } from './line-reader.ts';
import { TOKEN_COLUMNS, TokenIdCheck } from './token-ids.ts';

/** What a long line holds. */
export type LongLineContent =
  | { readonly kind: 'blank' }
  | { readonly kind: 'bad'; readonly message: string }
  | { readonly kind: 'text'; chunks(): AsyncGenerator<string, void> }
  | { readonly kind: 'tokens'; readonly column: string; chunks(): AsyncGenerator<number[], void> };

/** How to read a long line. */
export interface LongLineOptions {
  /** `file:LINE`, as messages name the record. */
  readonly where: string;
  readonly textField: string;
  /** Read this token column instead (pre-tokenized corpora); unset: the text field, else a token column. */
  readonly tokenColumn?: string | undefined;
  readonly vocabSize?: number | undefined;
  /** Raw UTF-8 of a string's stretch → text (applies the invalid-UTF-8 policy, names the file offset). */
  readonly decode: (raw: Uint8Array, offset: number) => string;
  /** The message for a record without the field (the same as for short lines). */
  readonly missing: string;
}

/**
 * Walks the line's top-level keys up to the text field (or to the end, for a token list when
 * there is no text field) and says what the record holds; malformed JSON met on the way makes
 * a bad record. The streams it returns are valid until the next line is read.
 */
export async function readLongJsonLine(line: LongLine, o: LongLineOptions): Promise<LongLineContent> {
  const c = new JsonCursor(line.source, line.offset);
  const bad = (message: string): LongLineContent => ({ kind: 'bad', message: `${o.where}: ${message}` });
  try {
    if (line.lineNo === 1) await c.skipBom();
    const first = await c.peek();
    if (first === -1) return { kind: 'blank' };
    if (first !== 0x7b) {
      await c.skipValue();
      if ((await c.peek()) !== -1) throw c.error('more after the value');
      return bad(o.missing);
    }
    await c.expect(0x7b, "'{'");
    const marks = new Map<string, number>();
    if (!(await c.take(0x7d))) {
      for (;;) {
        const key = await c.key();
        await c.expect(0x3a, "':'");
        const b = await c.peek();
        if (o.tokenColumn === undefined && key === o.textField && b === 0x22) return text(c, o);
        const listed = o.tokenColumn === undefined ? (TOKEN_COLUMNS as readonly string[]).includes(key) : key === o.tokenColumn;
        if (listed && b === 0x5b && !marks.has(key)) {
          if (o.tokenColumn !== undefined) return tokens(c, key, o, true);
          marks.set(key, c.offset);
        }
        await c.skipValue();
        if (await c.take(0x2c)) continue;
        await c.expect(0x7d, "',' or '}'");
        break;
      }
    }
    if ((await c.peek()) !== -1) throw c.error('more after the object');
    const column = TOKEN_COLUMNS.find((k) => marks.has(k));
    if (column === undefined) return bad(o.missing);
    c.seek(marks.get(column)!);
    return tokens(c, column, o, false);
  } catch (e) {
    if (e instanceof JsonLineError) return bad(e.message);
    throw e;
  }
}

/** Checks what follows a streamed value: the object's other members, its end, nothing after. */
async function rest(c: JsonCursor): Promise<void> {
  while (await c.take(0x2c)) {
    await c.key();
    await c.expect(0x3a, "':'");
    await c.skipValue();
  }
  await c.expect(0x7d, "',' or '}'");
  if ((await c.peek()) !== -1) throw c.error('more after the object');
}

/** JSON errors met while streaming: the record was already handed on, so they come as BadRecordError. */
function lateBad(e: unknown, where: string): unknown {
  return e instanceof JsonLineError ? new BadRecordError(`${where}: ${e.message}`) : e;
}

function text(c: JsonCursor, o: LongLineOptions): LongLineContent {
  return {
    kind: 'text',
    async *chunks() {
      try {
        yield* c.text(o.decode);
        await rest(c);
      } catch (e) {
        throw lateBad(e, o.where);
      }
    },
  };
}

function tokens(c: JsonCursor, column: string, o: LongLineOptions, checkRest: boolean): LongLineContent {
  return {
    kind: 'tokens',
    column,
    async *chunks() {
      const check = new TokenIdCheck(o.where, column, o.vocabSize);
      try {
        for await (const slice of c.numbers()) yield check.ids(slice);
        if (checkRest) await rest(c);
      } catch (e) {
        throw lateBad(e, o.where);
      }
    },
  };
}
