import { DEFAULT_CONFIDENCE, assertConfidence, halfWidth, mean, sampleSd } from './stats';

/**
 * From prompt means to a checkpoint value (DESIGN §3 items 1-3): v = mean of the prompt means of
 * one (checkpoint, topic, stance), h = its t half-width, n = the number of prompts.
 */
export interface ValueEstimate {
  value: number;
  half: number;
  n: number;
}

/**
 * The reference path: value and half-width from the prompt means themselves (two-pass sd).
 * Each prompt weighs the same however many generations it has, because the caller passes one
 * mean per prompt. Throws on an empty list (a checkpoint with no prompts has no value).
 */
export function checkpointValue(
  promptMeans: readonly number[],
  confidence: number = DEFAULT_CONFIDENCE,
): ValueEstimate {
  assertConfidence(confidence);
  const n = promptMeans.length;
  const value = mean(promptMeans);
  return { value, half: n < 2 ? 0 : halfWidth(sampleSd(promptMeans), n, confidence), n };
}

/**
 * Value and half-width from a standard deviation computed elsewhere, e.g. DuckDB's
 * `stddev_samp(prompt_mean)` (a Welford-style, cancellation-free estimator). sd is ignored when
 * n < 2, so SQL NULL mapped to NaN or null is fine there.
 */
export function valueFromMeanSd(
  n: number,
  meanValue: number,
  sd: number | null,
  confidence: number = DEFAULT_CONFIDENCE,
): ValueEstimate {
  assertNonEmpty(n);
  assertConfidence(confidence);
  return { value: meanValue, half: n < 2 ? 0 : halfWidth(sd ?? Number.NaN, n, confidence), n };
}

/**
 * Value and half-width from the moments the database aggregates per (checkpoint, topic, stance):
 * n prompts, sum = Σ(x − shift) and sumSq = Σ(x − shift)² over their prompt means x.
 *
 * Use it when SQL returns moments instead of prompt means. It will not rescue moments that were
 * already rounded badly; what it guarantees is:
 *
 * - value = shift + sum/n: absolute error ≲ n·ε for x in [0, 1] (ε = 2⁻⁵³), far below 1e-9.
 * - the variance (sumSq − sum·(sum/n))/(n − 1), clamped at 0, has absolute error
 *   δ ≲ 3(n + 1)·ε·sumSq/(n − 1) for any summation order the database uses. The half-width
 *   error is t·|Δsd|/√n with |Δsd| ≤ min(√δ, δ/(2·sd)).
 *   - shift = 0 (raw moments of probabilities, sumSq ≤ n): δ ≲ 7e-16·(n + 1), so the half-width
 *     is within 1e-9 whenever the prompt means' sd ≥ 1e-4 (by this bound, for 2 ≤ n ≤ 10⁴). A constant
 *     set of prompt means is the failure case: three prompts at 0.7 give sd ≈ 1e-8 instead of 0
 *     and a half-width of ≈ 2.6e-8; with two prompts the error can reach ~4e-7. Such sets are
 *     ordinary under hard labels (every prompt 1 of 5 generations supporting), so raw moments
 *     do NOT meet 1e-9 in general.
 *   - shift = any value inside the data's range (`min(prompt_mean)`, one prompt's mean, or the
 *     group's AVG from a window): sumSq then scales with the spread itself, the error becomes
 *     relative (~n·ε·sd), and a constant set gives exactly 0. This meets 1e-9 for
 *     probabilities and is the form to use. (DuckDB's `stddev_samp` with `valueFromMeanSd` is
 *     equally safe.)
 */
export function valueFromMoments(
  n: number,
  sum: number,
  sumSq: number,
  confidence: number = DEFAULT_CONFIDENCE,
  shift = 0,
): ValueEstimate {
  assertNonEmpty(n);
  assertConfidence(confidence);
  const centred = sum / n;
  const value = shift + centred;
  if (n < 2) return { value, half: 0, n };
  const variance = Math.max(0, (sumSq - sum * centred) / (n - 1));
  return { value, half: halfWidth(Math.sqrt(variance), n, confidence), n };
}

function assertNonEmpty(n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`a checkpoint value needs at least one prompt, got n = ${n}`);
  }
}
