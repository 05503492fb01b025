import type { PayloadInput } from '#shared/contract.ts';
import { chatMessages, parseFactors, type Draft } from './draft.ts';

/** The prompt part of a request: the text, or the chat (with a pasted template when there is one). */
export function promptOf(d: Draft): PayloadInput<'steer.tokenize'> {
  if (d.mode === 'text') return { prompt: d.prompt };
  return {
    chat: {
      messages: chatMessages(d.chat),
      addGenerationPrompt: d.chat.addGenerationPrompt,
      ...(d.chat.template.trim() ? { template: d.chat.template } : {}),
    },
  };
}

/** What is wrong with the draft before it can run, in words; null when it can. */
export function problem(d: Draft): string | null {
  if (d.mode === 'text' && !d.prompt.trim()) return 'Type a prompt first.';
  if (d.mode === 'chat' && !d.chat.turns.some((t) => t.content.trim())) return 'Type a message first.';
  if (d.sweep.on) {
    const f = parseFactors(d.sweep.factors);
    if ('problem' in f) return f.problem;
    if (!d.features.length) return 'A sweep scales the features’ values: add a feature first.';
  }
  if (d.samples > 1 && d.settings.greedy) return 'Several samples need sampling: choose “sample” in Generation.';
  for (const f of d.features) {
    if (f.value.trim() === '' || !Number.isFinite(Number(f.value))) return `Feature ${f.feature}: the value must be a number.`;
    if (typeof f.positions === 'object' && f.positions.to <= f.positions.from)
      return `Feature ${f.feature}: the token range must end after it starts.`;
  }
  return null;
}

/** The `steer.run` payload of a draft that can run. */
export function runPayload(draft: Draft): PayloadInput<'steer.run'> {
  const factors = draft.sweep.on ? parseFactors(draft.sweep.factors) : null;
  return {
    ...promptOf(draft),
    interventions: draft.features.map((f) => ({ feature: f.feature, mode: f.mode, value: Number(f.value), positions: f.positions })),
    settings: draft.settings,
    ...(factors && 'factors' in factors ? { sweep: factors.factors } : {}),
    samples: draft.samples,
    ...(draft.forkedFrom ? { forkedFrom: draft.forkedFrom.id } : {}),
  };
}
