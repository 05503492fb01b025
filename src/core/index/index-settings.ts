/**
 * The settings of an indexing run (indexer.ts): checked against the engine and the job's
 * options, then against the index database the run resumes, or written to a new one.
 */
import path from 'node:path';
import { AppError } from '#shared/reply.ts';
import { openCorpus, type Corpus } from './corpus.ts';
import { diskFull } from './index-errors.ts';
import type { IndexHooks, IndexJobOptions, IndexModel } from './job-types.ts';
import { ownsRecord } from './shard.ts';
import { initialProgress, type IndexWriter } from './store.ts';
import { vocabularySize } from './token-ids.ts';
import { RESUME_KEYS, type IndexSettings, type Progress } from './types.ts';
import { modelMaxPositions } from '../model/config-facts.ts';

const DEFAULT_CONTEXT = 128;
/** First capture K for SAEs without a fixed k when no cap is given (doubled when not enough). */
const ADAPTIVE_K = 64;

/** A run's settings, with the opened corpus and the values the index phase works with. */
export interface IndexPlan {
  readonly settings: IndexSettings;
  readonly corpus: Corpus;
  /** Window length in tokens, BOS included. */
  readonly context: number;
  /** BOS id every window starts with, or undefined. */
  readonly bosId: number | undefined;
  /** The SAE's own k (top-k and switch SAEs), or undefined. */
  readonly exactK: number | undefined;
  /** Latents kept per token at most (--max-latents-per-token), or null. */
  readonly cap: number | null;
  readonly dSae: number;
}

/** Checks the options against the engine, opens the corpus and builds the run's settings. */
export function planIndex(engine: IndexModel, options: IndexJobOptions, hooks: IndexHooks): IndexPlan {
  const cfg = engine.sae.config;
  const context = options.context ?? DEFAULT_CONTEXT;
  const bosId = cfg.prependBos ? engine.tokenizer.bosId : undefined;
  if (cfg.prependBos && bosId === undefined)
    hooks.log?.('warn', 'the SAE was trained with prepend_bos but the tokenizer names no BOS token: windows start without one');
  if (!Number.isInteger(context) || context < (bosId === undefined ? 1 : 2)) {
    throw new AppError('bad_request', `--context must be an integer ≥ ${bosId === undefined ? 1 : 2}, got ${context}`);
  }
  const maxPos = modelMaxPositions(engine.folder.config);
  if (maxPos !== undefined && context > maxPos)
    throw new AppError('bad_request', `--context ${context} is longer than the model's ${maxPos} positions`);
  const exactK = cfg.architecture === 'topk' || cfg.architecture === 'switch' ? (cfg.k ?? undefined) : undefined;
  const cap = options.maxLatentsPerToken ?? null;
  const shard = options.shard;
  if (shard && options.maxTokens != null) {
    // a budget counts tokens in corpus order across documents that other shards read
    throw new AppError('bad_request', '--max-tokens cannot be split across shards: index a corpus cut to size instead');
  }
  const corpus = openCorpus(options.corpus, {
    owns: shard ? (ordinal) => ownsRecord(shard, ordinal) : undefined,
    textField: options.textField ?? 'text',
    tokenColumn: options.tokenColumn,
    vocabSize: vocabularySize(engine.folder.config, engine.folder.tokenizerJson),
    invalidUtf8: options.invalidUtf8 ?? 'error',
  });
  const settings = runSettings(engine, options, { context, bosId, cap, corpusFiles: corpus.files });
  return { settings, corpus, context, bosId, exactK, cap, dSae: cfg.dSae };
}

/** The settings row of a run with these options (context, BOS, cap and corpus files as checked by planIndex). */
function runSettings(
  engine: IndexModel,
  options: IndexJobOptions,
  checked: { context: number; bosId: number | undefined; cap: number | null; corpusFiles: IndexSettings['corpusFiles'] },
): IndexSettings {
  const cfg = engine.sae.config;
  const { context, bosId, cap } = checked;
  const shard = options.shard;
  return {
    model: path.resolve(options.model),
    sae: path.resolve(options.sae),
    hook: engine.hook,
    architecture: cfg.architecture,
    dSae: cfg.dSae,
    k: cfg.k ?? null,
    prependBos: cfg.prependBos,
    bosId: bosId ?? null,
    context,
    batch: Math.max(1, options.batch ?? Math.floor(1024 / context)),
    corpus: path.resolve(options.corpus),
    corpusFiles: checked.corpusFiles,
    textField: options.textField ?? 'text',
    ...(options.tokenColumn !== undefined ? { tokenColumn: options.tokenColumn } : {}),
    maxTokens: options.maxTokens ?? null,
    maxLatentsPerToken: cap,
    seed: options.seed ?? 0,
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
  };
}

/** Where a run starts: the settings in force (a resumed index's own) and its progress row. */
export interface IndexStart {
  readonly stored: IndexSettings;
  /** True when the run continues an existing index. */
  readonly resumed: boolean;
  readonly progress: Progress;
}

/** Resumes the index in `writer` when its settings match the plan's (else throws), or creates a new one. */
export function startIndex(writer: IndexWriter, db: string, engine: IndexModel, plan: IndexPlan): IndexStart {
  const { settings } = plan;
  let stored = writer.settings;
  const resumed = stored !== undefined;
  if (stored) {
    for (const key of RESUME_KEYS) {
      if (JSON.stringify(stored[key]) !== JSON.stringify(settings[key])) {
        throw new AppError(
          'conflict',
          `${db} holds an index built with a different ${key} (${JSON.stringify(stored[key])}, now ${JSON.stringify(settings[key])}): pass another --db to start a new index`,
        );
      }
    }
  } else {
    const startK = plan.cap ?? plan.exactK ?? Math.min(plan.dSae, ADAPTIVE_K);
    try {
      writer.create(
        settings,
        { tokenizer: engine.folder.tokenizerJson, tokenizerConfig: engine.folder.tokenizerConfig, config: engine.folder.config },
        initialProgress(startK),
      );
    } catch (e) {
      diskFull(e, db, undefined);
    }
    stored = settings;
  }
  const progress = writer.progress!;
  return { stored, resumed, progress };
}
