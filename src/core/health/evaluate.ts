/**
 * Evaluates an SAE on a corpus: the same windows the index cuts (corpus reader, windowing,
 * BOS rule), each batch run four times through the engine's graphs — capture with the
 * reconstruction (latents, x, x̂), and the untouched, reconstructed (replace variant) and
 * zero-ablated models (logits) — with the vocab-wide losses computed by a small ONNX
 * kernel on the same providers. Windows of a batch are right-padded to one length: in a
 * causal model later tokens change nothing before them, and padded positions count nowhere.
 */
import { DEFAULT_EVAL_TOKENS, type BosHandling, type HealthMetrics } from '#shared/health-types.ts';
import { AppError } from '#shared/reply.ts';
import type { Engine } from '../model/engine.ts';
import { openCorpus } from '../index/corpus.ts';
import { initialProgress } from '../index/store.ts';
import type { InvalidUtf8 } from '../index/utf8.ts';
import { vocabularySize } from '../index/token-ids.ts';
import { corpusWindows, type PendingWindow } from '../index/windows.ts';
import { modelMaxPositions } from '../model/config-facts.ts';
import { HealthAccumulator } from './accumulator.ts';
import { nextTokenLosses } from './kernels.ts';

/** What to evaluate on and how. */
export interface EvaluateOptions {
  readonly corpus: string;
  readonly textField?: string | undefined;
  /** Token ids from this column (pre-tokenized corpora); unset: `tokens` / `input_ids` where the text field is missing. */
  readonly tokenColumn?: string | undefined;
  /** Window length in tokens, BOS included (default 128, as the index). */
  readonly context?: number | undefined;
  /** Stop once this many tokens are in (default DEFAULT_EVAL_TOKENS). */
  readonly maxTokens?: number | undefined;
  /** A malformed JSONL line: skip it with a warning (default) or stop. */
  readonly onBadLine?: 'skip' | 'stop' | undefined;
  readonly invalidUtf8?: InvalidUtf8 | undefined;
  /** Windows per batch (default: by context and vocabulary size, so logits stay ~128 MB a variant). */
  readonly batch?: number | undefined;
}

/** How the evaluation reports while it runs. */
export interface EvaluateHooks {
  progress?(phase: 'evaluate', done: number, total: number | null): void;
  log?(level: 'info' | 'warn', message: string): void;
  readonly signal?: AbortSignal | undefined;
}

/** Metrics plus what they were computed over. */
export interface EvaluationOutcome extends HealthMetrics {
  readonly tokens: number;
  readonly predictions: number;
  readonly documents: number;
  readonly windows: number;
  readonly context: number;
  readonly max_tokens: number;
  readonly text_field: string;
  readonly bos: BosHandling;
  readonly seconds: number;
}

/** Default window length (the index's). */
export const DEFAULT_CONTEXT = 128;
/** Default JSONL / Parquet text field. */
export const DEFAULT_TEXT_FIELD = 'text';
/** Logit values per variant and batch (float32: 128 MB). */
const LOGITS_BUDGET = 1 << 25;
/** Tokens per batch at most (small vocabularies). */
const TOKENS_PER_BATCH = 4096;
/** First capture K for SAEs without a fixed k (doubled while some token fills it). */
const ADAPTIVE_K = 64;

function checkCancel(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('cancelled', 'evaluation cancelled');
}
/** The settings of one run, fixed before the first window. */
interface RunSettings {
  readonly context: number;
  readonly maxTokens: number;
  readonly bosId: number | undefined;
  readonly bos: BosHandling;
  /** Windows per batch. */
  readonly batchRows: number;
  /** The capture K of TopK-style SAEs (their k); undefined: adaptive, from `k`. */
  readonly exactK: number | undefined;
  /** The first capture K. */
  readonly k: number;
}

type SaeConfig = Engine['sae']['config'];

/** Checks the options against the SAE, tokenizer and model, and decides the run's settings (warning where they fall short). */
async function runSettings(engine: Engine, cfg: SaeConfig, options: EvaluateOptions, hooks: EvaluateHooks): Promise<RunSettings> {
  const context = options.context ?? DEFAULT_CONTEXT;
  const maxTokens = options.maxTokens ?? DEFAULT_EVAL_TOKENS;
  const bosId = cfg.prependBos ? engine.tokenizer.bosId : undefined;
  if (cfg.prependBos && bosId === undefined)
    hooks.log?.('warn', 'the SAE was trained with prepend_bos but the tokenizer names no BOS token: windows start without one');
  if (!Number.isInteger(context) || context < (bosId === undefined ? 1 : 2))
    throw new AppError('bad_request', `context must be an integer ≥ ${bosId === undefined ? 1 : 2}, got ${context}`);
  const maxPos = modelMaxPositions(engine.folder.config);
  if (maxPos !== undefined && context > maxPos)
    throw new AppError('bad_request', `context ${context} is longer than the model's ${maxPos} positions`);

  const bos: BosHandling = bosId === undefined ? 'none' : (await engine.hasKvCache()) ? 'kept-clean' : 'replaced';
  if (bos === 'replaced')
    hooks.log?.('warn', 'the model has no KV-cache I/O: the BOS position is reconstructed too (it counts in no metric)');
  const vocabGuess = typeof engine.folder.config['vocab_size'] === 'number' ? engine.folder.config['vocab_size'] : 50_257;
  const batchRows =
    options.batch ?? Math.max(1, Math.min(Math.floor(TOKENS_PER_BATCH / context), Math.floor(LOGITS_BUDGET / (context * vocabGuess))));
  const exactK = cfg.architecture === 'topk' || cfg.architecture === 'switch' ? cfg.k : undefined;
  const k = exactK ?? Math.min(cfg.dSae, ADAPTIVE_K);
  return { context, maxTokens, bosId, bos, batchRows, exactK, k };
}

/** Runs batches of windows through the engine's graphs into one accumulator, counting them. */
class BatchRunner {
  documents = 0;
  windows = 0;

  constructor(
    private readonly engine: Engine,
    private readonly cfg: SaeConfig,
    private readonly acc: HealthAccumulator,
    private readonly bos: BosHandling,
    private readonly exactK: number | undefined,
    /** The capture K (grows for SAEs without a fixed k). */
    private k: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  // windows that start with BOS (every one of a text corpus when the SAE has one; those whose first
  // id is BOS in a pre-tokenized one) run as a batch of their own
  async run(ws: PendingWindow[]): Promise<void> {
    const withBos = ws.filter((w) => w.bos);
    if (withBos.length && withBos.length < ws.length) {
      await this.run(withBos);
      await this.run(ws.filter((w) => !w.bos));
      return;
    }
    const skip = ws[0]!.bos ? 1 : 0; // positions that count in no metric
    const prefix = skip && this.bos === 'kept-clean' ? 1 : 0; // positions run clean in the replace and zero passes
    const lens = ws.map((w) => w.ids.length);
    const T = Math.max(...lens);
    const rows = ws.map((w) =>
      w.ids.length === T ? w.ids : [...w.ids, ...new Array<number>(T - w.ids.length).fill(w.ids[w.ids.length - 1]!)],
    );
    await this.addCapture(rows, lens, T, skip);
    checkCancel(this.signal);
    await this.addLosses(rows, lens, skip, prefix);
    this.windows += ws.length;
    this.documents += ws.filter((w) => w.newDocument).length;
  }

  /** latents, x and x̂; K grows until no counted token fills it (every active latent seen) */
  private async addCapture(rows: number[][], lens: readonly number[], T: number, skip: number): Promise<void> {
    const { engine, cfg, exactK, acc } = this;
    let cap;
    for (;;) {
      cap = await engine.capture(rows, this.k, { reconstruction: true });
      const K = cap.k;
      let full = false;
      if (exactK === undefined && K < cfg.dSae) {
        for (let r = 0; r < rows.length && !full; r++)
          for (let t = skip; t < lens[r]!; t++)
            if (cap.values[(r * T + t) * K + K - 1]! > 0) {
              full = true;
              break;
            }
      }
      if (!full) break;
      this.k = Math.min(cfg.dSae, this.k * 2);
    }
    const { values, indices, hookInput, reconstruction } = cap;
    for (let r = 0; r < rows.length; r++)
      for (let t = skip; t < lens[r]!; t++)
        acc.addToken(values, indices, (r * T + t) * cap.k, cap.k, hookInput!, reconstruction!, (r * T + t) * cfg.dIn);
  }

  /**
   * The zero-ablated run keeps the same clean prefix as the SAE run (SAELens masks BOS out of
   * both edits), so ce_zero / kl_zero and ce_recon / kl_recon are measured on the same footing.
   */
  private async addLosses(rows: number[][], lens: readonly number[], skip: number, prefix: number): Promise<void> {
    const { engine, acc } = this;
    const clean = await engine.logits(rows, 'base', { cleanPrefix: prefix });
    const recon = await engine.logits(rows, 'replace', { cleanPrefix: prefix });
    const zero = await engine.logits(rows, 'zero', { cleanPrefix: prefix });
    const L = clean.length; // positions prefix .. T − 1
    const target = new BigInt64Array(rows.length * L);
    for (let r = 0; r < rows.length; r++)
      for (let p = 0; p < L; p++) {
        const next = p + prefix + 1;
        target[r * L + p] = BigInt(next < lens[r]! ? rows[r]![next]! : 0);
      }
    const losses = await nextTokenLosses(engine.providers, { clean: clean.data, recon: recon.data, zero: zero.data }, target, clean.vocab);
    for (let r = 0; r < rows.length; r++)
      for (let t = skip; t < lens[r]!; t++) {
        const i = r * L + t - prefix;
        acc.addPosition(
          t + 1 < lens[r]!,
          losses.nllClean[i]!,
          losses.nllRecon[i]!,
          losses.nllZero[i]!,
          losses.klRecon[i]!,
          losses.klZero[i]!,
        );
      }
  }
}

/** Runs the evaluation to the end of the corpus or the token budget. */
export async function evaluateSae(engine: Engine, options: EvaluateOptions, hooks: EvaluateHooks = {}): Promise<EvaluationOutcome> {
  const t0 = performance.now();
  const cfg = engine.sae.config;
  const { context, maxTokens, bosId, bos, batchRows, exactK, k } = await runSettings(engine, cfg, options, hooks);

  const textField = options.textField ?? DEFAULT_TEXT_FIELD;
  const corpus = openCorpus(options.corpus, {
    textField,
    tokenColumn: options.tokenColumn,
    vocabSize: vocabularySize(engine.folder.config, engine.folder.tokenizerJson),
    invalidUtf8: options.invalidUtf8 ?? 'error',
  });
  let bytesDone = 0;
  const gen = corpusWindows(corpus, initialProgress(0), 0, {
    context,
    bosId,
    maxTokens,
    onBadLine: options.onBadLine ?? 'skip',
    tokenize: (text) => engine.tokenizer.encode(text, false),
    warn: (m) => hooks.log?.('warn', m),
    onBytes: (b) => (bytesDone = b),
  });
  const acc = new HealthAccumulator(cfg.dIn, cfg.dSae);
  const runner = new BatchRunner(engine, cfg, acc, bos, exactK, k, hooks.signal);
  let ended = false;

  const report = (): void => {
    const estimate = bytesDone > 0 ? Math.max(acc.tokens, Math.round((acc.tokens * corpus.totalBytes) / bytesDone)) : null;
    hooks.progress?.('evaluate', acc.tokens, ended ? acc.tokens : estimate === null ? maxTokens : Math.min(maxTokens, estimate));
  };
  report();
  try {
    for (;;) {
      checkCancel(hooks.signal);
      const ws: PendingWindow[] = [];
      while (ws.length < batchRows) {
        const r = await gen.next();
        if (r.done) {
          ended = true;
          break;
        }
        ws.push(r.value);
      }
      if (ws.length) await runner.run(ws);
      report();
      if (ended) break;
    }
  } finally {
    await gen.return(initialProgress(0));
  }
  if (acc.tokens === 0) throw new AppError('bad_request', `${corpus.root}: the corpus has no tokens to evaluate on`);
  if (acc.predictions === 0) throw new AppError('bad_request', `${corpus.root}: every window is one token long; nothing to predict`);
  return {
    ...acc.metrics(),
    tokens: acc.tokens,
    predictions: acc.predictions,
    documents: runner.documents,
    windows: runner.windows,
    context,
    max_tokens: maxTokens,
    text_field: textField,
    bos,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
  };
}
