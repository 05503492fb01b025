import { useSyncExternalStore } from 'react';
import {
  defaultGenerationSettings,
  type GenerationSettings,
  type Positions,
  type SteerFeatureInfo,
  type SteerModeName,
} from '../../../../shared/steer-types.ts';

/** One intervention as edited: the value as typed, and what the app knows about the feature. */
export interface DraftFeature {
  /** Stable React key. */
  readonly key: string;
  readonly feature: number;
  readonly mode: SteerModeName;
  /** As typed, so "-" or "1." can be on the way to a number. */
  readonly value: string;
  readonly positions: Positions;
  /** From `steer.feature` (max activation, top tokens); null until it answers. */
  readonly info: SteerFeatureInfo | null;
  /** Why the open SAE cannot steer it (e.g. its id is out of range), when it cannot. */
  readonly problem?: string | null;
}

/** What the Steer screen's editor holds; kept across screens and reloads. */
export interface Draft {
  readonly prompt: string;
  readonly features: readonly DraftFeature[];
  readonly settings: GenerationSettings;
  /** The session the editor was loaded from (its rerun is a fork of it). */
  readonly forkedFrom: { readonly id: string; readonly name: string } | null;
  /** The session shown below the editor (a run going on, or one reopened). */
  readonly shown: { readonly session: string; readonly run: string | null } | null;
}

const KEY = 'sae-explorer.steer-draft';

/** A first try on the embedded demo works with these. */
export const emptyDraft: Draft = {
  prompt: 'The meeting was held on May',
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
export function newDraftFeature(feature: number, info: SteerFeatureInfo | null, mode: SteerModeName = 'clamp'): DraftFeature {
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

/** A value for the value box: three significant digits. */
export function roundValue(v: number): string {
  if (v === 0) return '0';
  return String(Number(v.toPrecision(3)));
}
