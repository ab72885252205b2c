import type { StageKind } from '../domain';
import type { StagePath } from './paths';

/**
 * Trajectory helpers: placing checkpoints on one axis across stages, smoothing and downsampling
 * for display. None of this feeds the metrics of README Metrics; metrics always use the raw paths.
 */

/** step / T_k; 0 when T_k = 0. Can exceed 1 when a checkpoint lies past the declared totalSteps. */
export function progress(step: number, T: number): number {
  return T === 0 ? 0 : step / T;
}

/**
 * Exponential moving average s_0 = x_0, s_i = α·x_i + (1 − α)·s_{i−1}; α is the weight of the new
 * value, so α = 1 leaves the series unchanged (TensorBoard's "smoothing" w is α = 1 − w). Apply it
 * at full resolution, before downsampling, so the result does not depend on maxPoints.
 */
export function emaSmooth(values: readonly number[], alpha: number): number[] {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`EMA weight must lie in (0, 1], got ${alpha}`);
  const out: number[] = [];
  let s = 0;
  values.forEach((x, i) => {
    s = i === 0 ? x : alpha * x + (1 - alpha) * s;
    out.push(s);
  });
  return out;
}

/**
 * Deterministic min/max downsampling that keeps peaks visible: the first and last points stay;
 * the points between are split by index into ⌊(maxPoints − 2)/2⌋ contiguous buckets of
 * near-equal size, each contributing its minimum- and maximum-value point (earliest on ties;
 * one point when they coincide), all in original order. Never returns more than maxPoints
 * points. With maxPoints = 3 no bucket fits, so only the endpoints remain. Throws for
 * maxPoints < 2, which cannot keep both ends.
 */
export function downsampleMinMax<P extends { value: number }>(points: readonly P[], maxPoints: number): P[] {
  if (!(Number.isInteger(maxPoints) && maxPoints >= 2)) {
    throw new RangeError(`maxPoints must be an integer of at least 2, got ${maxPoints}`);
  }
  if (points.length <= maxPoints) return [...points];

  const middle = points.length - 2;
  const buckets = Math.floor((maxPoints - 2) / 2);
  const out: P[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * middle) / buckets);
    const to = 1 + Math.floor(((b + 1) * middle) / buckets);
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      if (points[i]!.value < points[lo]!.value) lo = i;
      if (points[i]!.value > points[hi]!.value) hi = i;
    }
    if (lo === hi) out.push(points[lo]!);
    else out.push(points[Math.min(lo, hi)]!, points[Math.max(lo, hi)]!);
  }
  out.push(points[points.length - 1]!);
  return out;
}

export interface TrajectoryPoint {
  stage: string;
  kind: StageKind;
  step: number;
  globalStep: number;
  progress: number;
  value: number;
  half: number;
  ciLow: number;
  ciHigh: number;
  n: number;
  isStart: boolean;
}

export interface TrajectoryOptions {
  /** EMA weight α in (0, 1]; null or undefined means no smoothing. */
  emaAlpha?: number | null;
  /** Downsample to at most this many points (≥ 2); null or undefined keeps all. */
  maxPoints?: number | null;

  /**
   * Keep the derived start points of later stages. Off by default: a start point repeats the
   * previous stage's last checkpoint, so plotting it draws every stage boundary twice.
   */
  includeStart?: boolean;
}

/**
 * One run's trajectory for one topic and stance, in path order across stages; `offsets` are the
 * run's global-step offsets from `stageOffsets` (paths.ts). Smoothing runs
 * over the whole run rather than per stage, because stage k starts from stage k−1's final model.
 * The band is smoothed with the same weights (EMA(v ± h) = EMA(v) ± EMA(h)); once smoothed it is
 * a visual guide, not a confidence interval of the smoothed value.
 */
export function buildTrajectory(
  paths: readonly StagePath[],
  offsets: ReadonlyMap<string, number>,
  options: TrajectoryOptions = {},
): TrajectoryPoint[] {
  const offsetOf = (k: number) => {
    const offset = offsets.get(paths[k]!.stage);
    if (offset === undefined) throw new Error(`no global-step offset for stage "${paths[k]!.stage}"`);
    return offset;
  };
  let points: TrajectoryPoint[] = [];
  paths.forEach((path, k) => {
    for (const p of path.points) {
      if (p.isStart && !options.includeStart) continue;
      points.push({
        stage: path.stage,
        kind: path.kind,
        step: p.step,
        globalStep: offsetOf(k) + p.step,
        progress: progress(p.step, path.T),
        value: p.value,
        half: p.half,
        ciLow: p.value - p.half,
        ciHigh: p.value + p.half,
        n: p.n,
        isStart: p.isStart,
      });
    }
  });

  if (options.emaAlpha != null) {
    const values = emaSmooth(
      points.map((p) => p.value),
      options.emaAlpha,
    );
    const halves = emaSmooth(
      points.map((p) => p.half),
      options.emaAlpha,
    );
    points = points.map((p, i) => {
      const value = values[i]!;
      const half = halves[i]!;
      return { ...p, value, half, ciLow: value - half, ciHigh: value + half };
    });
  }
  if (options.maxPoints != null) points = downsampleMinMax(points, options.maxPoints);
  return points;
}
