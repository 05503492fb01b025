/**
 * Saved steering sessions: their outputs, grid runs, metrics and the export format.
 * Pure: zod and types only (steer-types.ts re-exports them).
 */
import { z } from 'zod';
import { interventionSchema, type Intervention } from './intervention.ts';
import { generationSettingsSchema, promptSegmentSchema, sessionChatSchema, sweepSchema } from './steer-settings.ts';


/** Where a run stands. `interrupted`: the app stopped (crash, kill) while it ran; what it produced is kept. */
export const runStates = ['running', 'done', 'cancelled', 'failed', 'interrupted'] as const;

/** One of runStates. */
export type RunState = (typeof runStates)[number];

/** The two continuations of a run. */
export const steerSides = ['default', 'steered'] as const;

/** One of steerSides. */
export type SteerSide = (typeof steerSides)[number];

const finishSchema = z.enum(['length', 'stop', 'cancelled']).nullable();

const sideOutputSchema = z
  .object({
    ids: z.array(z.number().int().min(0)),
    /** Each generated id's own text. */
    tokens: z.array(z.string()),
    /** Each generated id's log-probability under the model that generated it (temperature 1). */
    logprobs: z.array(z.number()),
    /** The continuation decoded as a whole. */
    text: z.string(),
    /** Why it ended; null while running, or when the run failed before this side ended. */
    finish: finishSchema,
  })
  .strict();

/** One side's continuation. */
export type SideOutput = z.infer<typeof sideOutputSchema>;

const nextTokenRowSchema = z
  .object({
    id: z.number().int().min(0),
    text: z.string(),
    /** log-probability as the prompt's next token without steering; null until known. */
    defaultLogprob: z.number().nullable(),
    /** ... and with steering. */
    steeredLogprob: z.number().nullable(),
  })
  .strict();

/**
 * How a steered run differs from the default model, in nats. KL is KL(default ‖ steered) of
 * the next-token distributions; the default model's are read on the steered run's own text
 * (teacher-forced), so both are over the same prefix.
 */
const runMetricsSchema = z
  .object({
    /** At the first generated position (the prompt's next token): 0 when steering leaves the prompt alone. */
    klFirst: z.number(),
    /** Averaged over the run's generated positions. */
    klMean: z.number(),
    /** Coherence proxy: the default model's mean log-probability of the run's generated tokens (0 is best; lower reads worse). */
    coherence: z.number(),
  })
  .strict();

/** A run's KL from the default model and its coherence proxy. */
export type RunMetrics = z.infer<typeof runMetricsSchema>;

/** One continuation of a grid session: a side at one sweep factor and sample. */
const gridRunSchema = z
  .object({
    side: z.enum(['default', 'steered']),
    /** The factor every intervention's value was multiplied by; null on the default side (1 without a sweep). */
    factor: z.number().nullable(),
    /** Sample number, from 0. */
    sample: z.number().int().min(0),
    /** Its seed: the settings' seed + sample (both sides of a sample share it). */
    seed: z.number().int().min(0),
    output: sideOutputSchema,
    /** Against the default model; on the default side KL is 0 and coherence its own mean log-probability. Null until the run ends. */
    metrics: runMetricsSchema.nullable(),
  })
  .strict();

/** One continuation of a sweep or multi-sample session. */
export type GridRun = z.infer<typeof gridRunSchema>;

/** A token of the next-token table, with its probability on both sides. */
export type NextTokenRow = z.infer<typeof nextTokenRowSchema>;

export const nextTokenTableSchema = z
  .object({
    /** The 10 most likely next tokens without steering, most likely first. */
    default: z.array(nextTokenRowSchema),
    /** The 10 most likely with steering (empty until the steered side's first step). */
    steered: z.array(nextTokenRowSchema),
  })
  .strict();

/** The prompt's next token: top 10 default vs steered. */
export type NextTokenTable = z.infer<typeof nextTokenTableSchema>;

const identitySchema = z
  .object({
    /** Model folder (or .onnx file). */
    model: z.string(),
    /** SAE folder or file. */
    sae: z.string(),
    /** The hook the SAE is spliced at. */
    hook: z.string(),
    architecture: z.string(),
    dIn: z.number().int(),
    dSae: z.number().int(),
    /** True when it was the embedded demo. */
    demo: z.boolean(),
  })
  .strict();

/** Which model, SAE and hook a session ran on. */
export type ModelIdentity = z.infer<typeof identitySchema>;

/** A saved steering session: everything needed to read it again or rerun it. */
export const steerSessionSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().max(200),
    /** Epoch milliseconds: when the run started, when the session last changed, when the run ended. */
    createdAt: z.number(),
    updatedAt: z.number(),
    finishedAt: z.number().nullable(),
    /** The session this one was forked from (edited and rerun), if any. */
    forkedFrom: z.string().nullable(),
    state: z.enum(runStates),
    /** Why it failed, in words. */
    error: z.string().nullable(),
    prompt: z.string(),
    /** The prompt's ids as the model saw them (BOS included when the SAE wants one) and their texts. */
    promptIds: z.array(z.number().int().min(0)),
    promptTokens: z.array(z.string()),
    identity: identitySchema,
    interventions: z.array(interventionSchema),
    settings: generationSettingsSchema,
    /** The default and the steered continuation. In a grid session: its first default and first steered run (as in `runs`). */
    outputs: z.object({ default: sideOutputSchema, steered: sideOutputSchema }).strict(),
    /** The prompt's next token, default vs steered (a grid session: vs its first steered run; null for a sweep). */
    next: nextTokenTableSchema.nullable(),
    /** The chat the prompt was rendered from; null for a plain-text prompt. */
    chat: sessionChatSchema.nullable().default(null),
    /** Which prompt positions hold which message's text (older sessions: none recorded). */
    segments: z.array(promptSegmentSchema).default(() => []),
    /** A strength sweep's factors, or null. */
    sweep: sweepSchema.nullable().default(null),
    /** Sampled continuations per side (and per sweep factor). */
    samples: z.number().int().min(1).max(16).default(1),
    /** A grid session's continuations: per sample, the default run, then one steered run per factor. Empty for a plain run. */
    runs: z.array(gridRunSchema).default(() => []),
  })
  .strict();

/** A saved steering session. */
export type SteerSession = z.output<typeof steerSessionSchema>;

/** A session as listed. */
export interface SessionSummary {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly state: RunState;
  readonly forkedFrom: string | null;
  /** The prompt (first 300 characters). */
  readonly prompt: string;
  readonly interventions: readonly Intervention[];
  readonly identity: ModelIdentity;
  /** Generated tokens on the default and the steered side. */
  readonly tokens: { readonly default: number; readonly steered: number };
  /** The sweep's factors, or null. */
  readonly sweep: readonly number[] | null;
  /** Samples per side. */
  readonly samples: number;
  /** True when the prompt was a chat. */
  readonly chat: boolean;
}

/** The `format` of an exported session file. */
export const SESSION_EXPORT_FORMAT = 'sae-explorer.steer-session';

/** The version of the export format written now (1: before chats, sweeps and samples; still read). */
export const SESSION_EXPORT_VERSION = 2;

/** An exported session (JSON file): the format tag, its version, and the session. */
export const sessionExportSchema = z
  .object({
    format: z.literal(SESSION_EXPORT_FORMAT),
    version: z.union([z.literal(1), z.literal(SESSION_EXPORT_VERSION)]),
    exportedAt: z.number(),
    session: steerSessionSchema,
  })
  .strict();

/** What `session.export` answers (and `session.import` takes). */
export type SessionExport = z.output<typeof sessionExportSchema>;
