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
 *
 * The intervention type is in intervention.ts; settings and chat prompts in steer-settings.ts,
 * sessions in steer-session-types.ts (both re-exported here).
 */
import { z } from 'zod';
import { interventionSchema } from './intervention.ts';
import { request, type RequestDef } from './request-def.ts';
import { steerValueSchema } from './steer-bounds.ts';
import { chatPromptSchema, defaultGenerationSettings, generationSettingsSchema, sweepSchema, type PromptSegment } from './steer-settings.ts';
import { nextTokenTableSchema, steerSides, type SessionExport, type SessionSummary, type SteerSession } from './steer-session-types.ts';

export * from './steer-settings.ts';
export * from './steer-session-types.ts';

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
    interventions: z.array(interventionSchema.extend({ value: steerValueSchema })).max(64),
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
