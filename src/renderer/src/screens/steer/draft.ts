import { useSyncExternalStore } from 'react';
import type { Intervention, SteerMode } from '#shared/intervention.ts';
import { defaultGenerationSettings, type GenerationSettings, type SteerFeatureInfo } from '#shared/steer-types.ts';

/** One intervention as edited: the value as typed, and what the app knows about the feature. */
export interface DraftFeature extends Omit<Intervention, 'value'> {
  /** Stable React key. */
  readonly key: string;
  /** As typed, so "-" or "1." can be on the way to a number. */
  readonly value: string;
  /** From `steer.feature` (max activation, top tokens); null until it answers. */
  readonly info: SteerFeatureInfo | null;
  /** Why the open SAE cannot steer it (e.g. its id is out of range), when it cannot. */
  readonly problem?: string | null;
}

/** One turn of a chat being edited. */
export interface DraftTurn {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** A chat prompt being edited: an optional system message, turns, and how it ends. */
export interface DraftChat {
  readonly system: string;
  readonly turns: readonly DraftTurn[];
  /** Open the assistant's turn after the last message (add_generation_prompt). */
  readonly addGenerationPrompt: boolean;
  /** A template pasted by the user, used instead of the model's ('' = the model's own). */
  readonly template: string;
}

/** What the Steer screen's editor holds; kept across screens and reloads. */
export interface Draft {
  /** Plain text, or a chat rendered with the chat template. */
  readonly mode: 'text' | 'chat';
  readonly prompt: string;
  readonly chat: DraftChat;
  /** A strength sweep: on, and its factors as typed ("0, 0.5, 1, 2, 4, 8"). */
  readonly sweep: { readonly on: boolean; readonly factors: string };
  /** Sampled continuations per side. */
  readonly samples: number;
  readonly features: readonly DraftFeature[];
  readonly settings: GenerationSettings;
  /** The session the editor was loaded from (its rerun is a fork of it). */
  readonly forkedFrom: { readonly id: string; readonly name: string } | null;
  /** The session shown below the editor (a run going on, or one reopened). */
  readonly shown: { readonly session: string; readonly run: string | null } | null;
}

const KEY = 'sae-explorer.steer-draft';

/** The factors a new sweep offers: 0, ½, 1, 2, 4 and 8 × the value (with presets: × max activation). */
export const DEFAULT_SWEEP = '0, 0.5, 1, 2, 4, 8';

/** A first try on the embedded demo works with these. */
export const emptyDraft: Draft = {
  mode: 'text',
  prompt: 'The meeting was held on May',
  chat: { system: '', turns: [{ role: 'user', content: '' }], addGenerationPrompt: true, template: '' },
  sweep: { on: false, factors: DEFAULT_SWEEP },
  samples: 1,
  features: [],
  settings: { ...defaultGenerationSettings, stopSequences: [] },
  forkedFrom: null,
  shown: null,
};

function load(): Draft {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return emptyDraft;
    const d = JSON.parse(raw) as Partial<Draft>;
    return {
      ...emptyDraft,
      ...d,
      settings: { ...emptyDraft.settings, ...d.settings },
      chat: { ...emptyDraft.chat, ...d.chat },
      sweep: { ...emptyDraft.sweep, ...d.sweep },
      features: Array.isArray(d.features) ? d.features : [],
    };
  } catch {
    return emptyDraft;
  }
}

let draft: Draft = load();
const listeners = new Set<() => void>();

/** Changes the draft (saved at once) and re-renders its users. */
export function updateDraft(change: (d: Draft) => Draft): void {
  draft = change(draft);
  try {
    localStorage.setItem(KEY, JSON.stringify(draft));
  } catch {
    // storage unavailable: the draft lasts for this page
  }
  listeners.forEach((l) => l());
}

/** The draft as it is now (for effects that must not re-run on every edit). */
export function draftNow(): Draft {
  return draft;
}

/** The editor's draft; follows updateDraft. */
export function useDraft(): Draft {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    () => draft,
  );
}

let seq = 0;

/** A new draft feature with clamp to the feature's max (or 0 until it is known). */
export function newDraftFeature(feature: number, info: SteerFeatureInfo | null, mode: SteerMode = 'clamp'): DraftFeature {
  const max = info?.max ?? null;
  return {
    key: `${Date.now().toString(36)}-${++seq}`,
    feature,
    mode,
    value: mode === 'scale' ? '2' : max !== null ? roundValue(max * 2) : '10',
    positions: 'all',
    info,
  };
}

/** The sweep's factors as typed, or why they are not factors. */
export function parseFactors(text: string): { factors: number[] } | { problem: string } {
  const parts = text
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
  if (!parts.length) return { problem: 'Sweep: type the factors, e.g. 0, 0.5, 1, 2, 4, 8.' };
  if (parts.length > 16) return { problem: 'Sweep: at most 16 factors.' };
  const bad = parts.find((x) => !Number.isFinite(Number(x)));
  if (bad !== undefined) return { problem: `Sweep: “${bad}” is not a number.` };
  return { factors: parts.map(Number) };
}

/** The chat messages a draft sends (the system message only when typed). */
export function chatMessages(c: DraftChat): { role: 'system' | 'user' | 'assistant'; content: string }[] {
  return [...(c.system.trim() ? [{ role: 'system' as const, content: c.system }] : []), ...c.turns];
}

/** A value for the value box: three significant digits. */
export function roundValue(v: number): string {
  if (v === 0) return '0';
  return String(Number(v.toPrecision(3)));
}
