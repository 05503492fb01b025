/**
 * Test helper over saved steering sessions: the request that runs one again.
 */
import type { SteerRunInput, SteerSession } from '#shared/steer-types.ts';

/**
 * The `steer.run` payload that runs a session again: its prompt (or chat, with the very
 * template it was rendered with), interventions, settings and seed, sweep and samples. On
 * the same model and SAE it gives the same continuations: a session is reproducible from
 * itself alone (an exported file included). Add `forkedFrom` to record where it came from.
 */
export function rerunPayload(s: SteerSession): SteerRunInput {
  return {
    prompt: s.prompt,
    ...(s.chat ? { chat: { messages: s.chat.messages, addGenerationPrompt: s.chat.addGenerationPrompt, template: s.chat.template } } : {}),
    interventions: s.interventions,
    settings: s.settings,
    ...(s.sweep ? { sweep: s.sweep } : {}),
    samples: s.samples,
  };
}
