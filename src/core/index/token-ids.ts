/**
 * Token ids of pre-tokenized corpora (SAELens-style `tokens` / `input_ids` columns): checking
 * them against the model's vocabulary, so a corpus tokenized for another model is refused
 * with the file, the row and the offending id rather than indexed as nonsense.
 */
import type { AppError } from '#shared/reply.ts';
import { InputFileError } from '../kernel/input-file-error.ts';

/** The columns a pre-tokenized corpus is recognised by, in SAELens's order. */
export const TOKEN_COLUMNS = ['tokens', 'input_ids'] as const;

/**
 * The model's vocabulary size: `vocab_size` from its config.json, else the tokenizer's
 * (highest id in tokenizer.json's vocabulary or added tokens, plus one); undefined when
 * neither says.
 */
export function vocabularySize(config: Record<string, unknown>, tokenizerJson: Record<string, unknown>): number | undefined {
  const fromConfig = config['vocab_size'];
  if (typeof fromConfig === 'number' && Number.isInteger(fromConfig) && fromConfig > 0) return fromConfig;
  let top = -1;
  const model = tokenizerJson['model'];
  const vocab = model !== null && typeof model === 'object' ? (model as Record<string, unknown>)['vocab'] : undefined;
  if (Array.isArray(vocab))
    top = vocab.length - 1; // Unigram: [piece, score] pairs, id = index
  else if (vocab !== null && typeof vocab === 'object')
    for (const id of Object.values(vocab)) if (typeof id === 'number' && id > top) top = id;
  const added = tokenizerJson['added_tokens'];
  if (Array.isArray(added))
    for (const t of added) {
      const id = t !== null && typeof t === 'object' ? (t as Record<string, unknown>)['id'] : undefined;
      if (typeof id === 'number' && id > top) top = id;
    }
  return top >= 0 ? top + 1 : undefined;
}

/** Checks one document's ids as they are read, counting positions across slices. */
export class TokenIdCheck {
  #position = 0;

  /**
   * @param where the file and row, as errors name them (`file:LINE`, `file row N`)
   * @param column the column the ids come from
   * @param vocabSize ids must be below it (unchecked when undefined)
   */
  constructor(
    readonly where: string,
    readonly column: string,
    readonly vocabSize: number | undefined,
  ) {}

  /** The slice as token ids; throws a bad_request AppError at the first value that is not one. */
  ids(values: ArrayLike<unknown>): number[] {
    const out = new Array<number>(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw this.#notAnId(v, this.#position + i);
      if (this.vocabSize !== undefined && n >= this.vocabSize) {
        throw new InputFileError(
          `${this.where}: token id ${String(v)} ("${this.column}"[${this.#position + i}]) is not below the model's vocabulary size ${this.vocabSize} (tokenized for another vocabulary?)`,
        );
      }
      out[i] = n;
    }
    this.#position += values.length;
    return out;
  }

  #notAnId(v: unknown, index: number): AppError {
    const shown = typeof v === 'bigint' ? String(v) : (JSON.stringify(v) ?? String(v));
    const range = this.vocabSize === undefined ? 'a non-negative integer' : `an integer from 0 to ${this.vocabSize - 1}`;
    return new InputFileError(`${this.where}: "${this.column}"[${index}] is ${shown}, not a token id (${range})`);
  }
}
