/**
 * Fraction of variance unexplained over a set of tokens, as SAELens and the reference
 * implementation measure it: Σ‖x − x̂‖² / Σ‖x − mean_t(x)‖², the mean taken per dimension
 * over the tokens. x and x̂ are [nTokens, dIn], row-major.
 */
export function fractionOfVarianceUnexplained(x: Float32Array, xHat: Float32Array, nTokens: number, dIn: number): number {
  let err = 0;
  let tot = 0;
  for (let j = 0; j < dIn; j++) {
    let mean = 0;
    for (let t = 0; t < nTokens; t++) mean += x[t * dIn + j]! / nTokens;
    for (let t = 0; t < nTokens; t++) {
      err += (x[t * dIn + j]! - xHat[t * dIn + j]!) ** 2;
      tot += (x[t * dIn + j]! - mean) ** 2;
    }
  }
  return err / tot;
}
