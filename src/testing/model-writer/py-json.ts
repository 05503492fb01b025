/** A JSON value whose objects keep insertion order even for integer-like keys (JS objects do not). */
export type PyJson = null | boolean | number | string | readonly PyJson[] | ReadonlyMap<string, PyJson>;

/**
 * Serialises like Python's `json.dumps` defaults (separators ", " and ": ", ensure_ascii), so
 * files match those refgen.py writes byte for byte.
 */
export function pyJsonDumps(v: PyJson): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('JSON cannot hold a non-finite number');
    return Number.isInteger(v) ? String(v) : pyFloat(v);
  }
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return `[${(v as readonly PyJson[]).map(pyJsonDumps).join(', ')}]`;
  const m = v as ReadonlyMap<string, PyJson>;
  return `{${[...m].map(([k, x]) => `${pyString(k)}: ${pyJsonDumps(x)}`).join(', ')}}`;
}

/** An ordered object from entries. */
export function pyObj(entries: readonly (readonly [string, PyJson])[]): Map<string, PyJson> {
  return new Map(entries);
}

// Python's repr(float): shortest round-trip digits, exponent as e-05 / e+20
function pyFloat(v: number): string {
  const s = String(v);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  if (m) return `${m[1]}e${m[2]}${m[3]!.padStart(2, '0')}`;
  return s.includes('.') ? s : `${s}.0`;
}

const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i); // UTF-16 code units: astral characters come out as surrogate pairs, as in Python
    if (SHORT[ch]) out += SHORT[ch];
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}
