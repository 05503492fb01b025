import { AppError } from '#shared/reply.ts';
import { releaseFactsForSaePath } from '../hub/release-facts.ts';
import { loadSae } from '../sae/load.ts';
import type { Sae } from '../sae/types.ts';
import type { InterventionInput } from '#shared/intervention.ts';
import { rowSteerFeeds, steerFeeds, validateInterventions, type PromptSpans } from './steer-feeds.ts';
import { hiddenSize, modelMaxPositions } from './config-facts.ts';
import { generate, type GenerateArgs, type GenerateResult } from './generate.ts';
import { runCapture } from './capture-run.ts';
import { captureRowsPerCall, joinCaptures, type CaptureResult } from './capture-split.ts';
import { CaptureThread } from './capture-thread.ts';
import { checkGenerationLength, checkSteerValues } from './generation-bounds.ts';
import { generateBatch, type BatchGenerateArgs, type BatchRow, type BatchRowResult } from './generate-batch.ts';
import { openModelFolder, type ModelFolder } from './model-folder.ts';
import { type VariantKind, type VariantOptions } from './onnx/variants.ts';
import { ModelFileError } from './onnx/proto.ts';
import { chooseProviders, type ProviderName } from './providers.ts';
import { ModelRunner, type KvCache } from './runner.ts';
import { floatData } from './tensor-data.ts';
import { TextTokenizer } from './tokenizer.ts';
import { variantFile } from './variant-cache.ts';

export interface EngineOptions {
  /** Model folder (HF layout) or .onnx file. */
  readonly model: string;
  /** SAE folder or file (params.npz). */
  readonly sae: string;
  /** Hook name; overrides what the SAE's files say. */
  readonly hook?: string;
  /** Force one execution provider (else the first GPU provider that works, then cpu). */
  readonly provider?: ProviderName;
  /** Where spliced graph variants are cached. */
  readonly cacheDir: string;
  /**
   * Run the capture graphs in a thread of their own (capture-thread.ts): for an engine whose
   * thread answers requests (the app's), which a capture would otherwise hold for its duration.
   */
  readonly captureThread?: boolean;
}

/** A token with its strongest latents, strongest first: [feature, value]. */
export interface EncodedToken {
  readonly id: number;
  readonly text: string;
  readonly latents: [number, number][];
}

export type { CaptureResult } from './capture-split.ts';

/** Logits of a batch of equal-length rows, float32, row-major [batch, length, vocab]. */
export interface LogitsResult {
  readonly batch: number;
  /** Positions returned per row (the row length minus any clean prefix). */
  readonly length: number;
  readonly vocab: number;
  readonly data: Float32Array;
}

/** The graph a logits run goes through: untouched, hook replaced by the SAE reconstruction, or by zeros. */
export type LogitsVariant = 'base' | 'replace' | 'zero';

export interface Continuation extends GenerateResult {
  readonly text: string;
}

export type GenerateOptions = Omit<GenerateArgs, 'promptIds' | 'extraFeeds'> & {
  readonly interventions?: readonly InterventionInput[];
  /** Where the prompt's message text is, for `user` / `content` positions. */
  readonly segments?: PromptSpans;
};

/** The sessions an engine may hold: the untouched model and the spliced variants. */
export type RunnerKey = 'base' | CaptureKey | Exclude<VariantKind, 'capture'>;

/** The sessions of capture graphs (the latents, with or without the reconstruction). */
type CaptureKey = 'capture' | 'capture+recon';

/** Providers that implement ONNX Runtime's FastGelu contrib op (fuse-gelu.ts). */
const FAST_GELU_PROVIDERS: ReadonlySet<ProviderName> = new Set(['cpu', 'cuda']);

/**
 * The variant a session kind runs. Capture graphs take FastGelu where the provider has it;
 * the graphs that generate keep the model's own GELU, so a steered run differs from the
 * untouched model's only by the steering.
 */
function variantOptions(key: Exclude<RunnerKey, 'base'>, hook: string, provider: ProviderName): VariantOptions {
  const fastGelu = FAST_GELU_PROVIDERS.has(provider) ? { fastGelu: true } : {};
  if (key === 'capture+recon') return { kind: 'capture', hook, reconstruction: true, ...fastGelu };
  if (key === 'capture') return { kind: 'capture', hook, ...fastGelu };
  return { kind: key, hook };
}

/**
 * A language model with an SAE spliced in at one hook: encode text to latents, generate
 * with and without interventions. Plain Node (no Electron), shared by the CLI, the serve
 * host and the Electron main process.
 */
export class Engine {
  private readonly runners = new Map<RunnerKey, Promise<ModelRunner>>();
  /** The spliced graphs' files, by kind (finding a variant hashes its inputs' stats). */
  private readonly variantPaths = new Map<Exclude<RunnerKey, 'base'>, string>();
  /** Capture kinds whose session the capture thread holds. */
  private readonly threadKinds = new Set<CaptureKey>();

  private constructor(
    readonly folder: ModelFolder,
    readonly sae: Sae,
    readonly hook: string,
    readonly providers: readonly ProviderName[],
    readonly tokenizer: TextTokenizer,
    private readonly cacheDir: string,
    /** Where the capture graphs run when not on this thread. */
    private readonly captureThread: CaptureThread | undefined,
  ) {}

  static async open(opts: EngineOptions): Promise<Engine> {
    const folder = openModelFolder(opts.model);
    // a known release's catalog facts (TransformerLens kwargs, Neuronpedia id) fill what its cfg leaves out
    const release = releaseFactsForSaePath(opts.sae);
    const sae = loadSae(opts.sae, { ...(opts.hook ? { hook: opts.hook } : {}), ...(release ? { release } : {}) });
    const hook = opts.hook ?? sae.config.hookName;
    if (!hook) {
      throw new ModelFileError(sae.source.path, 'the SAE files do not name their hook; pass one (e.g. --hook blocks.6.hook_resid_post)');
    }
    const width = hiddenSize(folder.config);
    // attn.hook_z is n_heads · d_head wide: the splice checks it against W_O
    if (width !== undefined && width !== sae.config.dIn && !hook.endsWith('.attn.hook_z')) {
      throw new ModelFileError(
        sae.source.path,
        `SAE d_in=${sae.config.dIn} does not match the model's residual width ${width} (config.json of ${folder.dir}); ` +
          `W_enc has shape [${sae.params.W_enc.shape.join(', ')}] but the hook ${hook} is [batch, seq, ${width}]`,
      );
    }
    const providers = await chooseProviders(opts.provider);
    const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.config);
    const thread = opts.captureThread ? CaptureThread.start({ providers, config: folder.config }) : undefined;
    const engine = new Engine(folder, sae, hook, providers, tokenizer, opts.cacheDir, thread);
    try {
      // builds (or finds) the spliced graph now: bad hooks fail at open
      if (thread) await engine.threadSession('capture');
      else await engine.runner('capture');
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }

  /** The provider actually asked for first (cpu when no GPU provider works). */
  get activeProvider(): ProviderName {
    return this.providers[0] ?? 'cpu';
  }

  /** Checks steering values (finite, bounded) and feature ids (in range): a `bad_request` naming the first problem. */
  private checkInterventions(ivs: readonly InterventionInput[]): void {
    checkSteerValues(ivs);
    try {
      validateInterventions(ivs, this.sae.config.dSae);
    } catch (e) {
      throw e instanceof RangeError ? new AppError('bad_request', e.message) : e;
    }
  }

  /** How many positions the model takes (prompt + generated), when its config says. */
  get maxPositions(): number | undefined {
    return modelMaxPositions(this.folder.config);
  }

  /** Calls running now (capture, logits, generate): close waits for them. */
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];
  private closed = false;

  /**
   * Runs one call as "in flight", so that closing the engine (the workspace opened another
   * model or SAE) lets it finish on its sessions instead of pulling them from under it, and
   * calls after the close fail plainly instead of quietly creating sessions nobody releases.
   */
  private async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw this.closedError();
    this.inFlight++;
    try {
      return await fn();
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private closedError(): Error {
    return new Error(`${this.folder.onnxFile}: this engine was closed (another model or SAE was opened); run again`);
  }

  private runner(kind: RunnerKey): Promise<ModelRunner> {
    if (this.closed && this.inFlight === 0) throw this.closedError();
    let r = this.runners.get(kind);
    if (!r) {
      const file = kind === 'base' ? this.folder.onnxFile : this.variantPath(kind);
      r = ModelRunner.create(file, this.providers, { config: this.folder.config });
      this.runners.set(kind, r);
      r.catch(() => this.runners.delete(kind));
    }
    return r;
  }

  /** Text → ids, with BOS when the SAE was trained with one. */
  tokenize(text: string): number[] {
    return this.tokenizer.encode(text, this.sae.config.prependBos);
  }

  /**
   * Runs the capture graph on equal-length rows (each window starts at position 0).
   * With `reconstruction`, also returns the hook input and the SAE's reconstruction.
   * `maxRowsPerCall` caps the rows of one session call below captureRowsPerCall's: each call
   * holds this thread for its duration (onnxruntime-node runs it synchronously), so a thread
   * that also answers requests (an engine lent to an index job) keeps its calls short.
   */
  capture(
    rows: readonly (readonly number[])[],
    k: number,
    opts: { reconstruction?: boolean; maxRowsPerCall?: number } = {},
  ): Promise<CaptureResult> {
    return this.use(async () => {
      const per = Math.max(1, Math.min(opts.maxRowsPerCall ?? Infinity, captureRowsPerCall(rows[0]?.length ?? 0, this.sae.config.dSae)));
      if (rows.length <= per) return this.captureNow(rows, k, opts);
      // rows are independent (each window starts at position 0): smaller calls give the same numbers
      const parts: CaptureResult[] = [];
      for (let i = 0; i < rows.length; i += per) parts.push(await this.captureNow(rows.slice(i, i + per), k, opts));
      return joinCaptures(parts);
    });
  }

  private async captureNow(rows: readonly (readonly number[])[], k: number, opts: { reconstruction?: boolean }): Promise<CaptureResult> {
    const kind = opts.reconstruction ? 'capture+recon' : 'capture';
    const K = Math.max(1, Math.min(k, this.sae.config.dSae));
    if (this.captureThread) return this.captureThread.capture(await this.threadSession(kind), rows, K, opts.reconstruction === true);
    return runCapture(await this.runner(kind), rows, K, opts.reconstruction === true);
  }

  /** The file of the capture graph, built (or found in the cache) on first use: what benchmarks profile. */
  captureGraphFile(): string {
    return this.variantPath('capture');
  }

  /** The file of a spliced graph, built (or found in the cache) on first use. */
  private variantPath(kind: Exclude<RunnerKey, 'base'>): string {
    let file = this.variantPaths.get(kind);
    if (!file) {
      file = variantFile(this.folder.onnxFile, this.sae, variantOptions(kind, this.hook, this.activeProvider), this.cacheDir).file;
      this.variantPaths.set(kind, file);
    }
    return file;
  }

  /** The file of a capture graph whose session the capture thread holds (opened there on first use). */
  private async threadSession(kind: CaptureKey): Promise<string> {
    const file = this.variantPath(kind);
    if (!this.threadKinds.has(kind)) {
      await this.captureThread!.open(file);
      this.threadKinds.add(kind);
    }
    return file;
  }

  /** True when the model takes and returns a KV cache (needed for `logits` with a clean prefix). */
  async hasKvCache(): Promise<boolean> {
    return (await this.runner('base')).hasCache;
  }

  /**
   * Next-token logits of equal-length rows through the untouched model (`base`), or with the
   * hook tensor replaced by the SAE reconstruction (`replace`) or by zeros (`zero`). With
   * `cleanPrefix` n > 0 (models with KV-cache I/O only), the first n positions run through
   * the untouched model and the variant runs on the rest attending to their clean keys and
   * values, so the edit spares those positions (as SAELens keeps BOS unreplaced); only the
   * rest's logits are returned.
   */
  logits(rows: readonly (readonly number[])[], variant: LogitsVariant, opts: { cleanPrefix?: number } = {}): Promise<LogitsResult> {
    return this.use(() => this.logitsNow(rows, variant, opts));
  }

  private async logitsNow(
    rows: readonly (readonly number[])[],
    variant: LogitsVariant,
    opts: { cleanPrefix?: number },
  ): Promise<LogitsResult> {
    const runner = await this.runner(variant);
    const n = opts.cleanPrefix ?? 0;
    let past: KvCache | undefined;
    let ids = rows;
    if (n > 0) {
      const base = await this.runner('base');
      if (!base.hasCache || !runner.hasCache)
        throw new Error(`${this.folder.onnxFile}: the model has no KV-cache I/O, so it cannot keep a clean prefix`);
      past = (await base.forward({ ids: rows.map((r) => r.slice(0, n)) })).present;
      ids = rows.map((r) => r.slice(n));
    }
    const { outputs } = await runner.forward({ ids, start: n, ...(past ? { past } : {}) });
    const t = outputs['logits'];
    if (!t) throw new Error(`${runner.file}: the model has no "logits" output`);
    const vocab = Number(t.dims[t.dims.length - 1]);
    return { batch: ids.length, length: ids[0]?.length ?? 0, vocab, data: floatData(t) };
  }

  /** The `top` strongest nonzero latents at every position of `ids`. */
  async encode(ids: readonly number[], top: number): Promise<EncodedToken[]> {
    if (!ids.length) return [];
    const cap = await this.capture([ids], top);
    const pieces = this.tokenizer.pieces(ids);
    return ids.map((id, t) => {
      const latents: [number, number][] = [];
      for (let j = 0; j < cap.k; j++) {
        const v = cap.values[t * cap.k + j]!;
        if (v > 0) latents.push([cap.indices[t * cap.k + j]!, v]);
      }
      return { id, text: pieces[t] ?? '', latents };
    });
  }

  /** Generates a continuation; with interventions, through the steer graph. */
  generate(promptIds: readonly number[], opts: GenerateOptions): Promise<Continuation> {
    return this.use(() => this.generateNow(promptIds, opts));
  }

  private async generateNow(promptIds: readonly number[], opts: GenerateOptions): Promise<Continuation> {
    const ivs = opts.interventions ?? [];
    this.checkInterventions(ivs);
    checkGenerationLength(promptIds.length, opts.maxNewTokens, this.maxPositions);
    const runner = await this.runner(ivs.length ? 'steer' : 'base');
    const res = await generate(runner, {
      ...opts,
      promptIds,
      ...(ivs.length ? { extraFeeds: (start: number, T: number) => steerFeeds(ivs, promptIds.length, start, T, opts.segments) } : {}),
    });
    return { ...res, text: this.tokenizer.decode(res.ids) };
  }

  /**
   * Generates several rows of one prompt in one batch, each with its own interventions and
   * seed, or teacher-forced on another row (see generateBatch). Through the steer graph when
   * any row steers, so unsteered rows run the very graph the steered ones do.
   */
  generateBatch(
    promptIds: readonly number[],
    rows: readonly (BatchRow & { readonly interventions?: readonly InterventionInput[] })[],
    opts: Omit<BatchGenerateArgs, 'promptIds' | 'rows' | 'extraFeeds'> & { readonly segments?: PromptSpans },
  ): Promise<BatchRowResult[]> {
    return this.use(async () => {
      for (const r of rows) this.checkInterventions(r.interventions ?? []);
      checkGenerationLength(promptIds.length, opts.maxNewTokens, this.maxPositions);
      const steering = rows.map((r) => r.interventions ?? []);
      const steers = steering.some((x) => x.length > 0);
      const runner = await this.runner(steers ? 'steer' : 'base');
      return generateBatch(runner, {
        ...opts,
        promptIds,
        rows,
        ...(steers ? { extraFeeds: (start: number, T: number) => rowSteerFeeds(steering, promptIds.length, start, T, opts.segments) } : {}),
      });
    });
  }

  /** Default and steered continuations with the same settings and seed. */
  async compare(promptIds: readonly number[], opts: GenerateOptions): Promise<{ baseline: Continuation; steered: Continuation }> {
    const { interventions, ...rest } = opts;
    const baseline = await this.generate(promptIds, rest);
    const steered = await this.generate(promptIds, { ...rest, interventions: interventions ?? [] });
    return { baseline, steered };
  }

  /** The sessions created (or being created) now. */
  get sessions(): RunnerKey[] {
    return [...this.threadKinds, ...this.runners.keys()];
  }

  /** True when captures run in the engine's capture thread, leaving this thread free. */
  get capturesOffThread(): boolean {
    return this.captureThread !== undefined;
  }

  /** Refuses new calls, waits for those in flight, then releases every session. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    const all = [...this.runners.values()];
    this.runners.clear();
    this.threadKinds.clear();
    await Promise.allSettled([...all.map(async (r) => (await r).release()), this.captureThread?.close()]);
  }
}
