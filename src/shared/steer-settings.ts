/**
 * Generation settings, chat prompts, prompt segments and sweeps of a steering run.
 * Pure: zod and types only (steer-types.ts re-exports them).
 */
import { z } from 'zod';

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
export const sessionChatSchema = z
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
