import studentTCdf from '@stdlib/stats-base-dists-t-cdf';

import { UserInputError } from '../errors';
import { DEFAULT_CONFIDENCE, assertConfidence, mean, sampleSd, tQuantile } from './stats';

/**
 * Pairwise comparisons of one factor's levels, optionally within each level of another factor
 * (e.g. algorithms compared within each dataset), as a follow-up to the effect decomposition.
 * Pure functions, no I/O.
 *
 * Each pair gets a Welch two-sample t-test (unequal variances, Welch–Satterthwaite df), exactly R's
 * `t.test(a, b)`, and its confidence interval for mean(a) − mean(b). The p-values of the whole
 * family (all pairs in all strata) are then Holm-adjusted, as R's `p.adjust(p, "holm")`.
 *
 * Not done here: pooled-variance tests (R's `pairwise.t.test` default), Tukey HSD, or adjusting the
 * intervals for multiplicity: the intervals are per comparison at the given confidence.
 */

export interface PairwiseFactor {
  name: string;
  /** One level per observation, aligned with `y`. */
  values: string[];
}

export interface PairwiseInput {
  y: number[];
  /** The factor whose levels are compared (e.g. ALGORITHM). */
  factor: PairwiseFactor;
  /** Compare within each level of this factor (e.g. DATASET); omit to compare over all observations. */
  within?: PairwiseFactor | null;
  /** Confidence level of the intervals, in (0, 1); default 0.95. */
  confidence?: number;
}

export interface WelchTest {
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  /** meanA − meanB. */
  difference: number;
  /** Standard error of the difference, √(s²_A/n_A + s²_B/n_B). Null when it is undefined or 0. */
  se: number | null;
  /** Welch–Satterthwaite degrees of freedom (not an integer in general). */
  df: number | null;
  t: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  /** Two-sided p-value. */
  pValue: number | null;
  /** Why the statistics are null; null when they are not. */
  note: string | null;
}

export interface PairwiseComparison extends WelchTest {
  /** Level of the `within` factor this comparison belongs to; null without `within`. */
  within: string | null;
  /** The pair, in sorted level order: levelA < levelB. */
  levelA: string;
  levelB: string;
  /** Holm-adjusted p-value over every comparison of the result that has a p-value. */
  pAdjusted: number | null;
}

export interface PairwiseResult {
  factor: string;
  within: string | null;
  confidence: number;
  adjustment: 'holm';
  /** By `within` level (sorted), then by pair in sorted level order. */
  comparisons: PairwiseComparison[];
}

/**
 * Welch's two-sample t-test of mean(a) − mean(b), like R's `t.test(a, b, conf.level = confidence)`.
 * Statistics are null (with a note) when a group has fewer than two observations or both groups
 * are constant, where R's `t.test` stops with an error.
 */
export function welchTTest(a: readonly number[], b: readonly number[], confidence: number = DEFAULT_CONFIDENCE): WelchTest {
  assertConfidence(confidence);
  const nA = a.length;
  const nB = b.length;
  if (nA === 0 || nB === 0) throw new RangeError('welchTTest: both groups need observations');
  const meanA = mean(a);
  const meanB = mean(b);
  const base = { nA, nB, meanA, meanB, difference: meanA - meanB };
  const empty = { se: null, df: null, t: null, ciLow: null, ciHigh: null, pValue: null };
  if (nA < 2 || nB < 2) {
    return { ...base, ...empty, note: 'Each group needs at least two observations to estimate its variance.' };
  }
  const vA = sampleSd(a) ** 2 / nA;
  const vB = sampleSd(b) ** 2 / nB;
  const se2 = vA + vB;
  if (se2 === 0) {
    return { ...base, ...empty, note: 'Both groups are constant, so the difference has no standard error.' };
  }
  const se = Math.sqrt(se2);
  const df = (se2 * se2) / ((vA * vA) / (nA - 1) + (vB * vB) / (nB - 1));
  const t = base.difference / se;
  const half = tQuantile((1 + confidence) / 2, df) * se;
  return {
    ...base,
    se,
    df,
    t,
    ciLow: base.difference - half,
    ciHigh: base.difference + half,
    // The lower tail at −|t| keeps small p-values exact (no 1 − cdf cancellation).
    pValue: Math.min(1, 2 * studentTCdf(-Math.abs(t), df)),
    note: null,
  };
}

/**
 * Holm's step-down adjustment, like R's `p.adjust(p, method = "holm")`: nulls stay null and do not
 * count towards the family size (R's treatment of NA).
 */
export function holmAdjust(p: readonly (number | null)[]): (number | null)[] {
  const present = p.flatMap((v, i) => (v === null ? [] : [{ v, i }]));
  // Stable sort, so ties keep input order as R's order() does.
  present.sort((x, y) => x.v - y.v);
  const m = present.length;
  const out: (number | null)[] = p.map(() => null);
  let running = 0;
  present.forEach(({ v, i }, k) => {
    running = Math.max(running, (m - k) * v);
    out[i] = Math.min(1, running);
  });
  return out;
}

/**
 * Welch t-tests for every pair of `factor` levels present within each level of `within` (or over
 * all observations), with Holm adjustment across the whole family. Pairs where a test is not
 * possible (a level observed once in a stratum) are still listed, with null statistics and a note.
 *
 * Throws {@link UserInputError} when `factor` has fewer than two levels overall; RangeError for
 * misaligned or non-finite input (caller bugs).
 */
export function pairwiseWelch(input: PairwiseInput): PairwiseResult {
  const { y, factor, within = null } = input;
  const confidence = input.confidence ?? DEFAULT_CONFIDENCE;
  assertConfidence(confidence);
  for (const f of within ? [factor, within] : [factor]) {
    if (f.values.length !== y.length) {
      throw new RangeError(`pairwiseWelch: factor ${f.name} has ${f.values.length} values for ${y.length} observations`);
    }
  }
  y.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`pairwiseWelch: y[${i}] is not a finite number (${v})`);
  });
  const levels = [...new Set(factor.values)].sort();
  if (levels.length < 2) {
    throw new UserInputError(
      `Pairwise comparisons of ${factor.name} need at least two levels, but the selection has ${levels.length === 0 ? 'none' : `only ${levels[0]}`}. ` +
        'Widen the selection or compare another factor.',
    );
  }

  const strata: (string | null)[] = within ? [...new Set(within.values)].sort() : [null];
  const comparisons: PairwiseComparison[] = [];
  for (const stratum of strata) {
    const groups = new Map<string, number[]>();
    y.forEach((v, i) => {
      if (stratum !== null && within!.values[i] !== stratum) return;
      const level = factor.values[i]!;
      const g = groups.get(level);
      if (g) g.push(v);
      else groups.set(level, [v]);
    });
    const present = levels.filter((lv) => groups.has(lv));
    for (let i = 0; i < present.length; i++) {
      for (let j = i + 1; j < present.length; j++) {
        const levelA = present[i]!;
        const levelB = present[j]!;
        const test = welchTTest(groups.get(levelA)!, groups.get(levelB)!, confidence);
        comparisons.push({ within: stratum, levelA, levelB, ...test, pAdjusted: null });
      }
    }
  }
  const adjusted = holmAdjust(comparisons.map((c) => c.pValue));
  comparisons.forEach((c, i) => {
    c.pAdjusted = adjusted[i] ?? null;
  });
  return { factor: factor.name, within: within?.name ?? null, confidence, adjustment: 'holm', comparisons };
}
