import { STANCES, type StageKind } from '../domain';
import type { PathPoint, StagePath } from './paths';

/** Which point ends a stage for drift magnitude (DESIGN §3 item 5). */
export type DriftEndpoint = 'LAST' | 'EXTREMUM';

export interface StageDrift {
  stage: string;
  kind: StageKind;
  /** The magnitude the endpoint option asks for: `magnitudeLast` or `magnitudeExtremum`. */
  magnitude: number;
  /** M = v(last point) − v(first point). */
  magnitudeLast: number;
  /** v(e') − v(first), e' = the point farthest from v(first) (earliest on ties). */
  magnitudeExtremum: number;
  /** η = t* / T_k (DESIGN §3 item 6), always with e taken from the sign of `magnitudeLast`. */
  driftTime: number;
  startValue: number;
  endValue: number;
  /** v(e): the item-6 extremum (largest v if magnitudeLast ≥ 0, else smallest; earliest on ties). */
  extremumValue: number;
  /** Step of e within the stage (0 when e is the start point). */
  extremumStep: number;
}

/**
 * Drift metrics of one stage path (DESIGN §3 items 5-6).
 *
 * What the conformance fixture (expected/metrics.json) pins down beyond the text of DESIGN:
 * - `extremumValue`/`extremumStep` describe e of item 6 (the point with the largest v when
 *   M_LAST ≥ 0, else the smallest), not e' of item 5. They agree with e in all 432 fixture rows
 *   and differ from e' in 50.
 * - `magnitudeExtremum` is v(e') − v(first), with e' the point of largest |v − v(first)|.
 * - drift time does not depend on the endpoint option: e's direction comes from the LAST
 *   magnitude. The fixture gives one driftTime next to both magnitudes, and that driftTime
 *   matches the LAST sign in all 432 rows. Using the EXTREMUM sign would change 15 of them.
 *   The endpoint option therefore only picks which magnitude lands in `magnitude`.
 *
 * Comparisons follow the definitions literally, in path order: "earliest on ties" means the
 * first point in the path (so the start point beats an own step-0 checkpoint), and the
 * plateau test is `Math.abs(v - vE) <= hE` exactly as written. A rearranged form such as
 * `v >= vE - hE` rounds differently and can disagree at the boundary. η = 0 when T_k = 0.
 */
export function stageDrift(path: StagePath, endpoint: DriftEndpoint = 'LAST'): StageDrift {
  const points = path.points;
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) throw new Error(`stage "${path.stage}" has an empty path`);

  const magnitudeLast = last.value - first.value;

  let farthest: PathPoint = first;
  let farthestDistance = 0;
  for (const p of points) {
    const d = Math.abs(p.value - first.value);
    if (d > farthestDistance) {
      farthest = p;
      farthestDistance = d;
    }
  }
  const magnitudeExtremum = farthest.value - first.value;

  let e: PathPoint = first;
  for (const p of points) {
    if (magnitudeLast >= 0 ? p.value > e.value : p.value < e.value) e = p;
  }
  let tStar = Number.POSITIVE_INFINITY;
  for (const p of points) {
    if (Math.abs(p.value - e.value) <= e.half && p.step < tStar) tStar = p.step;
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
  /** |Δ_k| / Σ_j |Δ_j|; null when no stage moved net. */
  netShare: number | null;
  /** Σ |v_{i+1} − v_i| over consecutive points of the stage path (start point included). */
  pathLength: number;
  /** pathLength_k / Σ_j pathLength_j; null when the value never moved. */
  pathShare: number | null;
}

export interface Attribution {
  /** Σ_k Δ_k over non-base stages (= last value − first value of the non-base part of the run). */
  totalDelta: number;
  stages: StageAttribution[];
}

/**
 * Stage attribution for one run, topic and stance (DESIGN §3 item 7), over the non-base stages
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
    const delta = last.value - first.value;
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
    r.netShare = absSum === 0 ? null : Math.abs(r.delta) / absSum;
    r.pathShare = lengthSum === 0 ? null : r.pathLength / lengthSum;
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
