/**
 * The Tags field checked before a save: `annotation.set` refuses a tag over
 * `TAG_MAX_CHARS` characters or more than `TAGS_MAX` tags, so the editor says so next to
 * the field instead of sending them. Pure.
 */
import { TAG_MAX_CHARS, TAGS_MAX } from '#shared/annotation-types.ts';

/** The tags of a field's text, or why they cannot be saved. */
export type TagCheck = { readonly tags: string[]; readonly error: null } | { readonly tags: null; readonly error: string };

/** Splits on commas, trims, drops empties and repeats (case-insensitively), then checks the limits. */
export function checkTags(text: string): TagCheck {
  const tags: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const tag = raw.trim();
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    tags.push(tag);
  }
  const long = tags.find((t) => t.length > TAG_MAX_CHARS);
  if (long) {
    return {
      tags: null,
      error: `The tag “${long.slice(0, 24)}…” has ${long.length} characters; a tag may have at most ${TAG_MAX_CHARS}.`,
    };
  }
  if (tags.length > TAGS_MAX) return { tags: null, error: `${tags.length} tags; a feature may have at most ${TAGS_MAX}.` };
  return { tags, error: null };
}
