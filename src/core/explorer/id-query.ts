/** Parses feature ids as typed: "12", "12, 40-50", "7 9 100–120". */
export function parseIds(text: string, dSae: number): { ids: number[]; note: string | null } {
  const seen = new Set<number>();
  const bad: string[] = [];
  let beyond = 0;
  for (const part of text.split(/[\s,;]+/).filter(Boolean)) {
    const m = /^(\d+)(?:\s*[-–—:]\s*(\d+))?$/.exec(part) ?? /^#?(\d+)$/.exec(part);
    if (!m) {
      bad.push(part);
      continue;
    }
    let a = Number(m[1]);
    let b = m[2] === undefined ? a : Number(m[2]);
    if (a > b) [a, b] = [b, a];
    if (b >= dSae) beyond += b - Math.max(a, dSae) + 1;
    for (let i = a; i <= Math.min(b, dSae - 1); i++) seen.add(i);
  }
  const notes: string[] = [];
  if (beyond) notes.push(`ids above ${dSae - 1} left out (this SAE has features 0–${dSae - 1})`);
  if (bad.length) notes.push(`not ids: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}`);
  return { ids: [...seen].sort((x, y) => x - y), note: notes.length ? notes.join('; ') : null };
}
