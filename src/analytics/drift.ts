import { STANCES, type DriftEndpoint, type StageKind } from '../domain';
import type { PathPoint, StagePath } from './paths';

export interface StageDrift {
  stage: string;
  kind: StageKind;
  /** The magnitude the endpoint option asks for: `magnitudeLast` or `magnitudeExtremum`. */
  magnitude: number;
  /** M = v(last point) − v(first point); 0 when within ε of 0. */
  magnitudeLast: number;
  /** v(e') − v(first), e' = the point farthest from v(first) (earliest on ties). */
  magnitudeExtremum: number;
  /** η = t* / T_k (README Metrics 6), always with e taken from the sign of `magnitudeLast`. */
  driftTime: number;
  startValue: number;
  endValue: number;
  /** v(e): the item-6 extremum (largest v if magnitudeLast ≥ 0, else smallest; earliest on ties). */
  extremumValue: number;
  /** Step of e within the stage (0 when e is the start point). */
  extremumStep: number;
}

/**
 * Two values that differ by at most this much are equal (README Metrics, "Numerical ties"): values
 * that are equal in exact arithmetic can differ in the last bit once computed in floating point.
 */
export const TIE_EPSILON = 1e-12;

/** a − b, with differences within {@link TIE_EPSILON} counted as exactly 0. */
export function tieAwareDifference(a: number, b: number): number {
  const d = a - b;
  return Math.abs(d) <= TIE_EPSILON ? 0 : d;
}

/** x / denominator, or null when the denominator is within {@link TIE_EPSILON} of 0 (item 7). */
export function shareOf(x: number, denominator: number): number | null {
  return denominator <= TIE_EPSILON ? null : x / denominator;
}

/** The earliest point whose score is within ε of the largest score (scores in path order). */
function earliestNearMax(points: readonly PathPoint[], score: (p: PathPoint) => number): PathPoint {
  let best = -Infinity;
  for (const p of points) best = Math.max(best, score(p));
  const found = points.find((p) => score(p) >= best - TIE_EPSILON);
  // Unreachable for a non-empty path with finite values; NaN values fall back to the first point.
  return found ?? points[0]!;
}

/**
 * Drift metrics of one stage path (README Metrics 5-6, with the "Numerical ties" rules).
 *
 * What the conformance fixture (expected/metrics.json) pins down beyond the text of the definitions:
 * - `extremumValue`/`extremumStep` describe e of item 6 (the point with the largest v when
 *   M_LAST ≥ 0, else the smallest), not e' of item 5. They agree with e in all 432 fixture rows
 *   and differ from e' in 50.
 * - `magnitudeExtremum` is v(e') − v(first), with e' the point of largest |v − v(first)|.
 * - drift time does not depend on the endpoint option: e's direction comes from the LAST
 *   magnitude. The fixture gives one driftTime next to both magnitudes, and that driftTime
 *   matches the LAST sign in all 432 rows. Using the EXTREMUM sign would change 15 of them.
 *   The endpoint option therefore only picks which magnitude lands in `magnitude`.
 *
 * Ties: a magnitude within ε = 1e-12 of 0 is 0 (so its sign is ≥ 0); e is the earliest point
 * within ε of the maximum (minimum when M < 0), e' the earliest whose distance from the first
 * point is within ε of the largest distance; a point is on e's plateau when |v − v_e| ≤ h_e + ε.
 * "Earliest" is path order, so the start point beats an own step-0 checkpoint. η = 0 when T_k = 0.
 */
export function stageDrift(path: StagePath, endpoint: DriftEndpoint = 'LAST'): StageDrift {
  const points = path.points;
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) throw new Error(`stage "${path.stage}" has an empty path`);

  const magnitudeLast = tieAwareDifference(last.value, first.value);
  const farthest = earliestNearMax(points, (p) => Math.abs(p.value - first.value));
  const magnitudeExtremum = tieAwareDifference(farthest.value, first.value);

  const e = earliestNearMax(points, magnitudeLast >= 0 ? (p) => p.value : (p) => -p.value);
  let tStar = Number.POSITIVE_INFINITY;
  for (const p of points) {
    if (Math.abs(p.value - e.value) <= e.half + TIE_EPSILON && p.step < tStar) tStar = p.step;
  }
  // e always qualifies itself (h ≥ 0), so tStar is finite unless h is NaN, which we let surface.
  const driftTime = path.T === 0 ? 0 : tStar / path.T;

  return {
    stage: path.stage,
    kind: path.kind,
    magnitude: endpoint === 'EXTREMUM' ? magnitudeExtremum : magnitudeLast,
    magnitudeLast,
    magnitudeExtremum,
    driftTime,
    startValue: first.value,
    endValue: last.value,
    extremumValue: e.value,
    extremumStep: e.step,
  };
}

/** Drift metrics for every non-base stage of a run's paths (base stages get none, item 5). */
export function driftMetrics(paths: readonly StagePath[], endpoint: DriftEndpoint = 'LAST'): StageDrift[] {
  return paths.filter((p) => p.kind !== 'base').map((p) => stageDrift(p, endpoint));
}

export interface StageAttribution {
  stage: string;
  kind: StageKind;
  /** Δ_k = M_k (the LAST magnitude). */
  delta: number;
  /** |Δ_k| / Σ_j |Δ_j|; null when no stage moved net (Σ ≤ ε). */
  netShare: number | null;
  /** Σ |v_{i+1} − v_i| over consecutive points of the stage path (start point included). */
  pathLength: number;
  /** pathLength_k / Σ_j pathLength_j; null when the value never moved (Σ ≤ ε). */
  pathShare: number | null;
}

export interface Attribution {
  /** Σ_k Δ_k over non-base stages (= last value − first value of the non-base part of the run). */
  totalDelta: number;
  stages: StageAttribution[];
}

/**
 * Stage attribution for one run, topic and stance (README Metrics 7), over the non-base stages
 * in path order. Δ_k is always the LAST magnitude; the EXTREMUM option does not apply here
 * because the deltas must add up to the run's total change. A run with no non-base stage gets
 * totalDelta 0 and no stages.
 */
export function stageAttribution(paths: readonly StagePath[]): Attribution {
  const rows: StageAttribution[] = [];
  for (const path of paths) {
    if (path.kind === 'base') continue;
    const first = path.points[0];
    const last = path.points[path.points.length - 1];
    if (first === undefined || last === undefined) throw new Error(`stage "${path.stage}" has an empty path`);
    let pathLength = 0;
    for (let i = 1; i < path.points.length; i++) {
      pathLength += Math.abs(path.points[i]!.value - path.points[i - 1]!.value);
    }
    const delta = tieAwareDifference(last.value, first.value);
    rows.push({ stage: path.stage, kind: path.kind, delta, netShare: null, pathLength, pathShare: null });
  }

  let totalDelta = 0;
  let absSum = 0;
  let lengthSum = 0;
  for (const r of rows) {
    totalDelta += r.delta;
    absSum += Math.abs(r.delta);
    lengthSum += r.pathLength;
  }
  for (const r of rows) {
    r.netShare = shareOf(Math.abs(r.delta), absSum);
    r.pathShare = shareOf(r.pathLength, lengthSum);
  }
  return { totalDelta, stages: rows };
}

/** Total variation ½ Σ_s |Δ_{k,s}| of one stage's deltas over the three stances (item 7). */
export function distributionShift(deltas: readonly number[]): number {
  let sum = 0;
  for (const d of deltas) sum += Math.abs(d);
  return sum / 2;
}

/**
 * distributionShift_k for every stage, from the attributions of the same run and topic for all
 * three stances (any order). It needs all three even when a query asks for fewer stances: a
 * total variation over part of the distribution would understate the shift, so it throws on
 * another count, and a stage missing from some stance's attribution gets null.
 */
export function distributionShiftByStage(perStance: readonly Attribution[]): Map<string, number | null> {
  if (perStance.length !== STANCES.length) {
    throw new RangeError(`distribution shift needs the attributions of all ${STANCES.length} stances, got ${perStance.length}`);
  }
  const deltas = new Map<string, number[]>();
  for (const attribution of perStance) {
    for (const s of attribution.stages) {
      const list = deltas.get(s.stage) ?? [];
      list.push(s.delta);
      deltas.set(s.stage, list);
    }
  }
  const out = new Map<string, number | null>();
  for (const [stage, list] of deltas) {
    out.set(stage, list.length === perStance.length ? distributionShift(list) : null);
  }
  return out;
}
