import studentTQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * Descriptive statistics and Student-t intervals (README Metrics 2-3). Pure functions, no I/O.
 *
 * Summation is plain left-to-right in input order: the conformance fixture was produced that way,
 * and compensated summation would buy nothing at the 1e-9 tolerance for values in [0, 1].
 */

/** The default confidence level γ of README Metrics 3. */
export const DEFAULT_CONFIDENCE = 0.95;

/** Arithmetic mean. Throws on an empty input: a mean of nothing is a caller bug, not a number. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of an empty list is undefined');
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * Sample standard deviation (divisor n − 1), two-pass: deviations are taken from the mean first,
 * so nearly constant inputs do not lose their digits to cancellation the way Σx² − (Σx)²/n does.
 * Returns NaN for fewer than two values (undefined, not zero); `summarise` maps that to null.
 */
export function sampleSd(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const m = mean(values);
  let ss = 0;
  for (const v of values) {
    const d = v - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - 1));
}

/** Throws unless 0 < confidence < 1; resolvers validate first, this guards programming errors. */
export function assertConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must lie strictly between 0 and 1, got ${confidence}`);
  }
}

// Trajectory queries ask for the same few (p, df) pairs millions of times; the quantile inverts an
// incomplete beta function, so remembering results is worth it. Bounded so odd inputs cannot grow it.
const QUANTILE_CACHE_LIMIT = 10_000;
const quantileCache = new Map<string, number>();

/**
 * Student-t quantile t_{p, df} (stdlib; agrees with R's `qt` to ~1e-14 relative). Returns NaN
 * for p outside [0, 1] or df ≤ 0, like stdlib.
 */
export function tQuantile(p: number, df: number): number {
  const key = `${p}|${df}`;
  const hit = quantileCache.get(key);
  if (hit !== undefined) return hit;
  const q = studentTQuantile(p, df);
  if (quantileCache.size >= QUANTILE_CACHE_LIMIT) quantileCache.clear();
  quantileCache.set(key, q);
  return q;
}

/**
 * Confidence half-width t_{(1+γ)/2, n−1} · sd/√n (README Metrics 3); 0 when n < 2, whatever sd
 * is (sd is undefined there, so callers may pass NaN).
 */
export function halfWidth(sd: number, n: number, confidence: number = DEFAULT_CONFIDENCE): number {
  assertConfidence(confidence);
  if (n < 2) return 0;
  return (tQuantile((1 + confidence) / 2, n - 1) * sd) / Math.sqrt(n);
}

export interface Summary {
  mean: number;
  /** Sample sd (n − 1); null when n < 2, where it is undefined. */
  sd: number | null;
  /** Standard error sd/√n; null when n < 2. */
  se: number | null;
  /** Confidence half-width; 0 when n < 2 (README Metrics 3). */
  half: number;
  n: number;
}

/** Mean, sd, standard error and t half-width of a non-empty sample. */
export function summarise(values: readonly number[], confidence: number = DEFAULT_CONFIDENCE): Summary {
  const n = values.length;
  const m = mean(values);
  if (n < 2) {
    assertConfidence(confidence);
    return { mean: m, sd: null, se: null, half: 0, n };
  }
  const sd = sampleSd(values);
  return { mean: m, sd, se: sd / Math.sqrt(n), half: halfWidth(sd, n, confidence), n };
}
