/** Feature sets as typed on a command line or sent in a request: "1-100,320". */
import { AppError } from './reply.ts';

/** Longest single range a spec may hold (a typo like 1-9999999 is refused, not expanded). */
export const MAX_SPEC_RANGE = 1_000_000;

/** The ids of a spec like `1-20,33`, in order, each once; refused (bad_request) when malformed or past `dSae`. */
export function parseFeatureSpec(spec: string, dSae: number): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new AppError('bad_request', `feature lists take ids and ranges like 1-20,33, got "${part}"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new AppError('bad_request', `feature range ${part} runs backwards`);
    if (b >= dSae) throw new AppError('bad_request', `feature ${part}: this SAE has features 0–${dSae - 1}`);
    if (b - a > MAX_SPEC_RANGE) throw new AppError('bad_request', `feature range ${part} is too long`);
    for (let f = a; f <= b; f++) out.add(f);
  }
  return [...out];
}
