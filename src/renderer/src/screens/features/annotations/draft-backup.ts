/**
 * Unsaved annotation edits backed up in localStorage until core confirms them, so a crash,
 * a closed window or a failing save loses nothing: the editor restores and re-saves them.
 */
import type { AnnotationPatch } from './annotation-saver.ts';

const PREFIX = 'sae-explorer.annotation-draft.';

/** The storage key of one feature's draft for one SAE (its path and hook). */
export function draftKey(sae: string, feature: number): string {
  return `${PREFIX}${sae}#${feature}`;
}

/** The saved draft, or null. */
export function readDraft(key: string): AnnotationPatch | null {
  try {
    const raw = localStorage.getItem(key);
    if (!raw) return null;
    return toPatch(JSON.parse(raw));
  } catch {
    return null;
  }
}

/** Stores a draft (null: removes it). */
export function writeDraft(key: string, patch: AnnotationPatch | null): void {
  try {
    if (patch && Object.keys(patch).length > 0) localStorage.setItem(key, JSON.stringify(patch));
    else localStorage.removeItem(key);
  } catch {
    // Storage may be unavailable (private windows); saving to core still happens.
  }
}

/** Keeps the fields of a parsed draft that have the right types (storage may hold anything). */
export function toPatch(v: unknown): AnnotationPatch | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  const patch: AnnotationPatch = {};
  if (typeof o['label'] === 'string') patch.label = o['label'];
  if (typeof o['notes'] === 'string') patch.notes = o['notes'];
  if (typeof o['starred'] === 'boolean') patch.starred = o['starred'];
  if (strings(o['tags'])) patch.tags = o['tags'];
  if (strings(o['lists'])) patch.lists = o['lists'];
  return Object.keys(patch).length > 0 ? patch : null;
}
