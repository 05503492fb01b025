/**
 * Units per second of a job's progress, measured over its recent reports in the current
 * phase. A phase that comes back (index after a merge, after a pause or a resumed run) starts
 * a fresh measurement: its `done` counts units from before, which a rate over the phase's own
 * time alone would divide by milliseconds (rates like 10602656333).
 */

/** How far back the rate looks (ms). */
const WINDOW_MS = 20_000;
/** The shortest span a rate is computed over (ms); shorter: the previous rate, or 0. */
const MIN_SPAN_MS = 500;

/** One meter per job. */
export class RateMeter {
  #phase: string | undefined;
  #samples: { t: number; done: number }[] = [];
  #rate = 0;

  /** Records `done` units of `phase` at time `now` (ms) and answers the rate in units per second. */
  update(phase: string, done: number, now: number): number {
    const last = this.#samples.at(-1);
    if (phase !== this.#phase || !last || done < last.done || now < last.t) {
      this.#phase = phase;
      this.#samples = [{ t: now, done }];
      this.#rate = 0;
      return 0;
    }
    this.#samples.push({ t: now, done });
    // keep one sample at or before the window's start, so the span stays about WINDOW_MS
    while (this.#samples.length > 2 && this.#samples[1]!.t <= now - WINDOW_MS) this.#samples.shift();
    const first = this.#samples[0]!;
    const span = now - first.t;
    if (span >= MIN_SPAN_MS) this.#rate = ((done - first.done) * 1000) / span;
    return this.#rate;
  }
}
