/** Tags and list names as typed in one field: "dates, numbers". Pure. */

/** Splits on commas, trims, drops empties and repeats (case-insensitively), keeps at most 64 characters each. */
export function parseTags(text: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const tag = raw.trim().slice(0, 64).trim();
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    out.push(tag);
  }
  return out;
}

/** Tags back into the field's text. */
export function formatTags(tags: readonly string[]): string {
  return tags.join(', ');
}
