import { Tokenizer } from '@huggingface/tokenizers';

/** Text ↔ token ids for one model, from its HF `tokenizer.json` (pure TypeScript, no Python). */
export class TextTokenizer {
  private readonly tok: Tokenizer;
  /** BOS id when the tokenizer or model config names one. */
  readonly bosId: number | undefined;
  /** EOS ids (config may list several). */
  readonly eosIds: readonly number[];

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>, modelConfig: Record<string, unknown> = {}) {
    this.tok = new Tokenizer(tokenizerJson, tokenizerConfig);
    const named = (v: unknown): number | undefined => {
      const s = typeof v === 'string' ? v : v && typeof v === 'object' && 'content' in v ? String((v as { content: unknown }).content) : undefined;
      return s === undefined ? undefined : this.tok.token_to_id(s);
    };
    const num = (v: unknown): number[] => (typeof v === 'number' ? [v] : Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);
    this.bosId = num(modelConfig['bos_token_id'])[0] ?? named(tokenizerConfig['bos_token']);
    const eos = [...num(modelConfig['eos_token_id'])];
    const eosTok = named(tokenizerConfig['eos_token']);
    if (eosTok !== undefined && !eos.includes(eosTok)) eos.push(eosTok);
    this.eosIds = eos;
  }

  /** Tokenizes without special tokens; prepends BOS when asked (and the model has one). */
  encode(text: string, prependBos = false): number[] {
    const ids = this.tok.encode(text, { add_special_tokens: false }).ids;
    return prependBos && this.bosId !== undefined ? [this.bosId, ...ids] : ids;
  }

  decode(ids: readonly number[]): string {
    return this.tok.decode([...ids], { skip_special_tokens: false });
  }

  /** Each id's own text (a piece of a multi-byte character decodes to U+FFFD). */
  pieces(ids: readonly number[]): string[] {
    return ids.map((id) => this.tok.decode([id], { skip_special_tokens: false }));
  }

  /** The vocabulary piece for an id, as stored (e.g. `Ġthe`). */
  token(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }
}
