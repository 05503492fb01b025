import { seededRandom } from '../../core/util/random.ts';

/**
 * Seeded pseudo-random numbers for test and bench weights: mulberry32 for uniforms,
 * Box-Muller for normals. Deterministic across platforms (32-bit integer arithmetic only).
 */
export class Rng {
  private readonly next: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** Uniform in [0, 1) (mulberry32). */
  uniform(): number {
    return this.next();
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    // 1 - u keeps the logarithm's argument in (0, 1]
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const th = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  /** `n` values drawn as `mean + scale * N(0, 1)`. */
  normals(n: number, scale = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + scale * this.normal();
    return out;
  }
}
