import type { Positions, SteerIntervention, SteerModeName } from '../../shared/steer-types.ts';
import { CliError } from '../command.ts';

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/** Parses `F=V` pairs of one mode. */
export function interventionPairs(mode: SteerModeName, pairs: readonly string[] | undefined, positions: Positions): SteerIntervention[] {
  return (pairs ?? []).map((p) => {
    const m = /^(\d+)=(.+)$/.exec(p.trim());
    if (!m || !NUMBER.test(m[2]!)) throw new CliError(`--${mode} takes FEATURE=VALUE (e.g. 123=8.5), got "${p}"`, 2);
    return { feature: Number(m[1]), mode, value: Number(m[2]), positions };
  });
}

/** A finite number option, or undefined when absent. */
export function finiteOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a number, got "${v}"`, 2);
  return n;
}

/** --positions: all, prompt, generated, user, content or a token range A:B. */
export function positionsOption(where: string | undefined): Positions {
  const w = where ?? 'all';
  const range = /^(\d+):(\d+)$/.exec(w);
  if (range) {
    const r = { from: Number(range[1]), to: Number(range[2]) };
    if (r.to <= r.from) throw new CliError(`--positions A:B needs B > A, got "${w}"`, 2);
    return r;
  }
  if (w === 'all' || w === 'prompt' || w === 'generated' || w === 'user' || w === 'content') return w;
  throw new CliError(`--positions must be all, prompt, generated, user, content or A:B, got "${w}"`, 2);
}

/** --sweep 0,0.5,1,2: the factors every intervention's value is multiplied by. */
export function sweepOption(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  if (!parts.length || parts.length > 16 || parts.some((s) => !NUMBER.test(s)))
    throw new CliError(`--sweep takes 1 to 16 comma-separated factors (e.g. 0,4,16), got "${v}"`, 2);
  return parts.map(Number);
}
