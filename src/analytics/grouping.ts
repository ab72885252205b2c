import { DEFAULT_CONFIDENCE, assertConfidence, summarise } from './stats';

/**
 * Grouped trajectories: runs evaluate at different steps, so each run's stage path is first put
 * on a shared progress grid, then the runs are averaged point by point.
 */

/** The grid 0, 1/(g−1), …, 1 of `gridSize` evenly spaced progress values (both ends included). */
export function progressGrid(gridSize: number): number[] {
  if (!(Number.isInteger(gridSize) && gridSize >= 2)) {
    throw new RangeError(`gridSize must be an integer of at least 2, got ${gridSize}`);
  }
  // i/(g−1) rather than accumulating a step, so the last grid point is exactly 1.
  return Array.from({ length: gridSize }, (_, i) => i / (gridSize - 1));
}

/**
 * Linear interpolation of one run's stage path on the progress grid.
 *
 * Grid points outside [first evaluated progress, last evaluated progress] are null: holding the
 * last value (or back-filling the first) would invent evaluations the run never had and would
 * bias the cross-run mean toward runs that stopped early. A run evaluated at progress 0 and
 * T_k covers the whole grid.
 *
 * Points may come in any order (a stable sort by progress is applied). When several share a
 * progress, e.g. the start point and an own step-0 checkpoint, the last of them in input order
 * gives the value there and starts the next segment; the first of them only bounds the range.
 */
export function interpolateOnGrid(points: readonly { progress: number; value: number }[], gridSize: number): (number | null)[] {
  const grid = progressGrid(gridSize);
  const sorted = [...points].sort((a, b) => a.progress - b.progress);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined) return grid.map(() => null);

  const out: (number | null)[] = [];
  let j = 0; // advances monotonically: the last index with progress ≤ x
  for (const x of grid) {
    if (x < first.progress || x > last.progress) {
      out.push(null);
      continue;
    }
    while (j + 1 < sorted.length && sorted[j + 1]!.progress <= x) j++;
    const a = sorted[j]!;
    const b = sorted[j + 1];
    if (a.progress === x || b === undefined) {
      out.push(a.value);
    } else {
      const w = (x - a.progress) / (b.progress - a.progress);
      out.push(a.value + w * (b.value - a.value));
    }
  }
  return out;
}

export interface GridAggregate {
  /** Mean over the runs with a value here; null when none has one. */
  mean: number | null;
  /** Sample sd across runs; null when fewer than two runs have a value. */
  sd: number | null;
  se: number | null;
  /** mean ∓ t half-width across runs; equal to the mean when n = 1, null when n = 0. */
  ciLow: number | null;
  ciHigh: number | null;
  /** Runs with a non-null value at this grid point. */
  n: number;
}

/**
 * Across-run mean and t interval at each grid point. The unit is the run: each run's value is
 * already a mean over prompts, and runs, not prompts, are the replicates here. All series must
 * have the same length (one entry per grid point).
 */
export function aggregateAcrossRuns(
  seriesPerRun: readonly (readonly (number | null)[])[],
  confidence: number = DEFAULT_CONFIDENCE,
): GridAggregate[] {
  assertConfidence(confidence);
  const length = seriesPerRun[0]?.length ?? 0;
  for (const series of seriesPerRun) {
    if (series.length !== length) {
      throw new RangeError(`every run needs ${length} grid values, got a series of ${series.length}`);
    }
  }

  const out: GridAggregate[] = [];
  for (let i = 0; i < length; i++) {
    const values: number[] = [];
    for (const series of seriesPerRun) {
      const v = series[i];
      if (v !== null && v !== undefined) values.push(v);
    }
    if (values.length === 0) {
      out.push({ mean: null, sd: null, se: null, ciLow: null, ciHigh: null, n: 0 });
      continue;
    }
    const s = summarise(values, confidence);
    out.push({ mean: s.mean, sd: s.sd, se: s.se, ciLow: s.mean - s.half, ciHigh: s.mean + s.half, n: s.n });
  }
  return out;
}
