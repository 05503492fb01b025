/**
 * Payloads and results of the requests about: Steering runs and saved steering sessions (`steer.*`, `session.*`).
 * Pure: zod and types only. contract.ts merges `steerRequests` into the contract.
 *
 * A steering run generates the default and the steered continuation of a prompt with the
 * same settings and seed. `steer.run` answers at once with the run's id and its session;
 * tokens stream as `steer.token` events, the prompt's next-token table as `steer.next`, and
 * `steer.done` ends it. Every run is a session saved in `<data>/sessions.sqlite`.
 *
 * A run may also be a grid: a strength sweep (every intervention's value × each factor, all
 * on the same seed) and / or several sampled continuations per side (seeds seed, seed + 1,
 * …). Its rows generate together in one batch and are kept in the session's `runs`, each
 * steered one with its KL from the default model and a coherence proxy (see RunMetrics).
 *
 * The prompt is plain text or a chat (messages rendered with the model's chat template, as
 * transformers' `apply_chat_template` does); the session keeps which prompt tokens hold the
 * text of which message, so steering can skip the template's own tokens.
 */
import { z } from 'zod';
import { request, type RequestDef } from './request-def.ts';
import { steerValueSchema } from './steer-bounds.ts';

// ---------------------------------------------------------------------------------------
// Interventions and settings
// ---------------------------------------------------------------------------------------

/**
 * Which token positions an intervention applies to; a range is [from, to) in absolute
 * positions (BOS = 0). `user`: the text of the prompt's user messages only (a plain prompt is
 * one user message; its BOS is not part of it). `content`: the text of every message and
 * every generated token, so everything but the chat template's own tokens (and BOS).
 */
export const positionsSchema = z.union([
  z.enum(['all', 'prompt', 'generated', 'user', 'content']),
  z
    .object({ from: z.number().int().min(0), to: z.number().int().min(1) })
    .strict()
    .refine((r) => r.to > r.from, { message: 'a token range needs to > from' }),
]);

/** Positions as sent and stored. */
export type Positions = z.infer<typeof positionsSchema>;

/** How an intervention changes its latent: set it (clamp), add strength × decoder direction (add), multiply it (scale). */
export const steerModes = ['clamp', 'add', 'scale'] as const;

/** One of steerModes. */
export type SteerModeName = (typeof steerModes)[number];

/** One intervention on one SAE latent. `value` is the clamp value, the add strength or the scale factor. */
export const steerInterventionSchema = z
  .object({
    feature: z.number().int().min(0),
    mode: z.enum(steerModes),
    value: z.number(),
    positions: positionsSchema.default('all'),
  })
  .strict();

/** An intervention as stored in a session (positions filled in). */
export type SteerIntervention = z.output<typeof steerInterventionSchema>;

/** The generation settings a first try gets: greedy, 24 tokens, stop at the end of text. */
export const defaultGenerationSettings = {
  maxNewTokens: 24,
  greedy: true,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  seed: 0,
  stopSequences: [] as string[],
  stopAtEos: true,
};

/** Generation settings; every field has a default (defaultGenerationSettings). */
export const generationSettingsSchema = z
  .object({
    /** Tokens to generate on each side. */
    maxNewTokens: z.number().int().min(1).max(1024).default(defaultGenerationSettings.maxNewTokens),
    /** True: always the most likely token. False: sample with temperature / top-k / top-p and the seed. */
    greedy: z.boolean().default(defaultGenerationSettings.greedy),
    temperature: z.number().gt(0).max(5).default(defaultGenerationSettings.temperature),
    /** Sample among the K most likely tokens; 0 = no limit. */
    topK: z.number().int().min(0).max(1_000_000).default(defaultGenerationSettings.topK),
    /** Nucleus mass; 1 = no limit. */
    topP: z.number().gt(0).max(1).default(defaultGenerationSettings.topP),
    /** Both sides use it, so they differ only by the interventions. */
    seed: z.number().int().min(0).max(2_147_483_647).default(defaultGenerationSettings.seed),
    /** Generation stops once the decoded continuation contains one of these. */
    stopSequences: z
      .array(z.string().min(1).max(200))
      .max(16)
      .default(() => []),
    /** Stop after the model's end-of-text token. */
    stopAtEos: z.boolean().default(defaultGenerationSettings.stopAtEos),
  })
  .strict();

/** Generation settings with every default filled in. */
export type GenerationSettings = z.output<typeof generationSettingsSchema>;

// ---------------------------------------------------------------------------------------
// Chat prompts, sweeps and samples
// ---------------------------------------------------------------------------------------

/** Roles of a chat message. */
export const chatRoles = ['system', 'user', 'assistant'] as const;

/** One of chatRoles. */
export type ChatRole = (typeof chatRoles)[number];

/** One message of a chat prompt. */
export const chatMessageSchema = z.object({ role: z.enum(chatRoles), content: z.string().max(20_000) }).strict();

/** A message of a chat prompt. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** A chat prompt: messages rendered with a chat template (the model's own unless `template` gives one). */
export const chatPromptSchema = z
  .object({
    messages: z.array(chatMessageSchema).min(1).max(64),
    /** Append the template's opening of an assistant turn, so the model answers (transformers' `add_generation_prompt`). */
    addGenerationPrompt: z.boolean().default(true),
    /** A Jinja chat template to use instead of the model's own (`chat_template` of tokenizer_config.json). */
    template: z.string().min(1).max(100_000).optional(),
  })
  .strict();

/** A chat prompt as sent. */
export type ChatPrompt = z.output<typeof chatPromptSchema>;

/** A chat prompt as a session keeps it: the template it was rendered with, and where that came from. */
const sessionChatSchema = z
  .object({
    messages: z.array(chatMessageSchema),
    addGenerationPrompt: z.boolean(),
    template: z.string(),
    /** `model`: the model's own template; `custom`: one sent with the run. */
    source: z.enum(['model', 'custom']),
  })
  .strict();

/** A session's chat prompt. */
export type SessionChat = z.infer<typeof sessionChatSchema>;

/** Prompt positions [from, to) that hold the text of one message (a plain prompt: one user message). */
export const promptSegmentSchema = z
  .object({
    role: z.enum(chatRoles),
    /** Index of the message in the chat (0 for a plain prompt). */
    message: z.number().int().min(0),
    from: z.number().int().min(0),
    to: z.number().int().min(0),
  })
  .strict();

/** Where one message's text sits in the prompt's tokens. */
export type PromptSegment = z.infer<typeof promptSegmentSchema>;

/** The factors a sweep multiplies every intervention's value by, in order (e.g. 0, 0.5, 1, 2, 4, 8). */
export const sweepSchema = z.array(z.number().min(-1e6).max(1e6)).min(1).max(16);

/** Rows of one grid run at most: (1 + sweep factors) × samples, plus one teacher-forced row per steered run. */
export const MAX_GRID_ROWS = 96;

// ---------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------

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

const nextTokenTableSchema = z
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
    interventions: z.array(steerInterventionSchema),
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
  readonly interventions: readonly SteerIntervention[];
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

// ---------------------------------------------------------------------------------------
// Other results
// ---------------------------------------------------------------------------------------

/** What `steer.run` answers: the run to follow (events carry its id) and its session as saved at the start. */
export interface SteerRunStarted {
  readonly run: string;
  readonly session: SteerSession;
}

/** A feature checked for steering: its id is in range, and its index figures when an index exists. */
export interface SteerFeatureInfo {
  readonly id: number;
  /** Features of the loaded SAE (ids 0 … dSae − 1). */
  readonly dSae: number;
  /** Whether figures came from a complete index (`none`: no index for this model + SAE; `building`: not finished yet). */
  readonly index: 'complete' | 'building' | 'none';
  /** The feature's max activation over the indexed corpus (null without a complete index). */
  readonly max: number | null;
  readonly mean: number | null;
  /** Share of indexed tokens where it is active. */
  readonly density: number | null;
  /** Distinct tokens of its strongest activations, strongest first (up to 6). */
  readonly topTokens: readonly string[];
}

/** A prompt as the model sees it, for choosing token ranges. */
export interface SteerTokenized {
  readonly ids: readonly number[];
  readonly tokens: readonly string[];
  /** True when position 0 is a BOS the app puts before the text. */
  readonly bos: boolean;
  /** How many positions the model has (prompt + new tokens must fit), when its config says. */
  readonly maxPositions: number | null;
  /** The rendered text (a chat: what the template made of it; else the prompt). */
  readonly text: string;
  /** Which positions hold which message's text; the rest are template tokens (and BOS). */
  readonly segments: readonly PromptSegment[];
}

/** Whether the open model can take chat prompts, and how. */
export interface SteerChatInfo {
  /** The model's own chat template (from its tokenizer_config.json or chat_template.jinja), or null when it has none. */
  readonly template: string | null;
  /** Where the template was found. */
  readonly source: string | null;
  /** Whether the template takes a system message (some, like Gemma-2's, refuse one). */
  readonly system: boolean;
}

// ---------------------------------------------------------------------------------------
// Requests and events
// ---------------------------------------------------------------------------------------

const sessionId = z.object({ id: z.string().min(1) }).strict();

/** The prompt of a request: plain text, or a chat (then `prompt` is ignored). */
const promptFields = {
  /** Plain text the model continues (ignored when `chat` is given). */
  prompt: z.string().max(20_000).default(''),
  /** A chat, rendered with the model's chat template (or the one it carries). */
  chat: chatPromptSchema.optional(),
};

/** Payload of `steer.run`. */
export const steerRunPayload = z
  .object({
    ...promptFields,
    interventions: z.array(steerInterventionSchema.extend({ value: steerValueSchema })).max(64),
    settings: generationSettingsSchema.default(() => ({ ...defaultGenerationSettings, stopSequences: [] })),
    /** The session's name (default: from the prompt and the interventions). */
    name: z.string().min(1).max(200).optional(),
    /** The session this run was forked from. */
    forkedFrom: z.string().min(1).optional(),
    /** A strength sweep: one steered run per factor, each intervention's value × the factor, all on the same seed. */
    sweep: sweepSchema.optional(),
    /** Sampled continuations per side (seeds seed, seed + 1, …); more than 1 needs sampling, not greedy. */
    samples: z.number().int().min(1).max(16).default(1),
  })
  .strict();

/** What `steer.run` takes, before defaults. */
export type SteerRunInput = z.input<typeof steerRunPayload>;

/** Every request of this area, by name; each entry with JSDoc (see contract.ts). */
export const steerRequests = {
  /**
   * Starts a steering run on the open model + SAE: default and steered continuations with the
   * same settings and seed. Answers at once with the run id and its new session (saved
   * already); tokens follow as `steer.token` events, then `steer.done`. One run at a time.
   */
  'steer.run': request<SteerRunStarted>()(steerRunPayload),

  /** Stops a run now; resolves with its session as saved (state `cancelled`, with the tokens it produced). */
  'steer.cancel': request<SteerSession>()(z.object({ run: z.string().min(1) }).strict()),

  /** Checks a feature id against the loaded SAE and gives its max activation (and top tokens) from the index, when there is one. */
  'steer.feature': request<SteerFeatureInfo>()(z.object({ id: z.number().int() }).strict()),

  /** Tokenizes a prompt (or renders and tokenizes a chat) as a run would (BOS included when the SAE wants one), to pick token ranges. */
  'steer.tokenize': request<SteerTokenized>()(z.object(promptFields).strict()),

  /** Whether the open model has a chat template and whether it takes a system message. */
  'steer.chatInfo': request<SteerChatInfo>()(z.object({}).strict()),

  /** Every saved steering session, most recently changed first. */
  'session.list': request<SessionSummary[]>()(z.object({}).strict()),

  /** One saved session with its outputs. */
  'session.get': request<SteerSession>()(sessionId),

  /** Renames a session; resolves with it. */
  'session.rename': request<SteerSession>()(z.object({ id: z.string().min(1), name: z.string().trim().min(1).max(200) }).strict()),

  /** Deletes a session (a running one is cancelled first). */
  'session.delete': request<{ deleted: string }>()(sessionId),

  /** A session as a self-contained JSON document (format tag, version, model + SAE + hook identity). */
  'session.export': request<SessionExport>()(sessionId),

  /** Saves an exported session (checked against the format) under a new id; resolves with it. */
  'session.import': request<SteerSession>()(z.object({ data: z.unknown() }).strict()),
} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;

const runRef = { run: z.string(), session: z.string() };

/** Events of this area, by name, with the schema of their data (merged into contract.ts's `events`). */
export const steerEvents = {
  /** One generated token of a steering run. */
  'steer.token': z.object({
    ...runRef,
    /** In a grid session: which of its `runs` (plain runs have none). */
    row: z.number().int().min(0).optional(),
    side: z.enum(steerSides),
    index: z.number().int().min(0),
    id: z.number().int().min(0),
    text: z.string(),
    logprob: z.number(),
  }),
  /** The prompt's next-token table of a run, sent when each side's first step is done. */
  'steer.next': z.object({ ...runRef, next: nextTokenTableSchema }),
  /** A run ended; its session is saved in that state (fetch `session.get` for the whole of it). */
  'steer.done': z.object({
    ...runRef,
    state: z.enum(['done', 'cancelled', 'failed']),
    /** Why it failed, when it did. */
    error: z.string().optional(),
  }),
} as const satisfies Record<string, z.ZodType>;
