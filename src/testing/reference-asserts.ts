import assert from 'node:assert/strict';
import path from 'node:path';
import type { ReferenceCase } from './fixtures.ts';

/** The SAE path of a case: expected.json's `sae_path` when given, else the sae/ folder. */
export function saePathOf(c: ReferenceCase): string {
  const rel = (c.expected as { sae_path?: string }).sae_path;
  return rel ? path.join(c.dir, rel) : c.saeDir;
}

/** Compares one token's latents with the reference, tolerating order swaps of tied values. */
export function assertLatentsMatch(ours: [number, number][], expected: [number, number][], where: string): void {
  assert.equal(ours.length, expected.length, `${where}: number of active latents`);
  const mine = new Map(ours);
  const floor = ours.length ? ours[ours.length - 1]![1] : 0;
  for (const [f, v] of expected) {
    const got = mine.get(f);
    if (got === undefined) {
      // only a tie at the cut-off may swap a feature in or out of the top list
      assert.ok(Math.abs(v - floor) <= 1e-3 * Math.abs(v), `${where}: feature ${f} (${v}) missing`);
      continue;
    }
    assert.ok(Math.abs(got - v) <= 1e-3 * Math.max(Math.abs(v), 1e-6), `${where}: feature ${f}: ${got} vs ${v}`);
  }
}

export function assertLogprobsClose(ours: number[], expected: number[], where: string): void {
  assert.equal(ours.length, expected.length, `${where}: length`);
  ours.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-3, `${where}[${i}]: ${v} vs ${expected[i]}`));
}

