import { updateDraft, type DraftFeature } from './draft.ts';

/** Changes one feature of the draft (by its key). */
export const patch = (key: string, change: Partial<DraftFeature>): void =>
  updateDraft((d) => ({ ...d, features: d.features.map((f) => (f.key === key ? { ...f, ...change } : f)) }));
