import { DEFAULT_CONFIDENCE, assertConfidence, halfWidth } from './stats';

/**
 * From prompt means to a checkpoint value (README Metrics 1-3): v = mean of the prompt means of
 * one (checkpoint, topic, stance), h = its t half-width, n = the number of prompts.
 */
export interface ValueEstimate {
  value: number;
  half: number;
  n: number;
}

/**
 * Value and half-width from a standard deviation computed elsewhere, e.g. DuckDB's
 * `stddev_samp(prompt_mean)` (a Welford-style, cancellation-free estimator). sd is ignored when
 * n < 2, so SQL NULL mapped to NaN or null is fine there.
 */
export function valueFromMeanSd(n: number, meanValue: number, sd: number | null, confidence: number = DEFAULT_CONFIDENCE): ValueEstimate {
  assertNonEmpty(n);
  assertConfidence(confidence);
  return { value: meanValue, half: n < 2 ? 0 : halfWidth(sd ?? Number.NaN, n, confidence), n };
}

function assertNonEmpty(n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`a checkpoint value needs at least one prompt, got n = ${n}`);
  }
}
