import type { BalancedScore } from '#shared/autointerp-types.ts';

/**
 * Balanced accuracy of yes/no verdicts against the truth: (TPR + TNR) / 2, with the counts
 * behind it. A missing verdict (null) counts as "no" and is tallied as unanswered.
 */
export function balancedAccuracy(truth: readonly boolean[], verdicts: readonly (boolean | null)[]): BalancedScore {
  if (truth.length !== verdicts.length) throw new RangeError(`${truth.length} items but ${verdicts.length} verdicts`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let unanswered = 0;
  truth.forEach((t, i) => {
    const v = verdicts[i] ?? null;
    if (v === null) unanswered++;
    const yes = v === true;
    if (t && yes) tp++;
    else if (t) fn++;
    else if (yes) fp++;
    else tn++;
  });
  const pos = tp + fn;
  const neg = tn + fp;
  return {
    balancedAccuracy: pos && neg ? (tp / pos + tn / neg) / 2 : null,
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
    unanswered,
  };
}
