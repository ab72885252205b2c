import type { DriftEndpoint, StageKind } from '../domain';
import { stageDrift } from './drift';
import type { StagePath } from './paths';
import { DEFAULT_CONFIDENCE, assertConfidence, summarise, type Summary } from './stats';

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

/** Where a declared stage sits among its peers in a group (README Metrics, "Grouped trajectories"). */
export interface StageSlot {
  kind: StageKind;
  /** 0 = the run's last declared stage of this kind, 1 = the one before it, ... */
  occurrenceFromEnd: number;
}

/**
 * The slot of each declared stage of one run: stages of the same kind are matched by their
 * occurrence counted from the run's end, so the last preference stage of every run (the one that
 * defines ALGORITHM and DATASET) lines up with the last preference stage of the others. Counts
 * use the declared stages, evaluated or not.
 */
export function stageSlots(stages: readonly { name: string; kind: StageKind }[]): Map<string, StageSlot> {
  const laterOfKind = new Map<StageKind, number>();
  const out = new Map<string, StageSlot>();
  for (let i = stages.length - 1; i >= 0; i--) {
    const { name, kind } = stages[i]!;
    const occurrenceFromEnd = laterOfKind.get(kind) ?? 0;
    laterOfKind.set(kind, occurrenceFromEnd + 1);
    out.set(name, { kind, occurrenceFromEnd });
  }
  return out;
}

/**
 * A stage path on its progress axis (step / T_k) for interpolation. When the path holds two
 * points at progress 0, the start point and the stage's own step-0 checkpoint, the own one is
 * used (README Metrics, "Grouped trajectories"); the start point is kept only when it is the sole point there.
 */
export function progressPoints(path: StagePath): { progress: number; value: number }[] {
  const at = (step: number) => (path.T === 0 ? 0 : step / path.T);
  const ownAtZero = path.points.some((p) => !p.isStart && at(p.step) === 0);
  return path.points.filter((p) => !(p.isStart && ownAtZero)).map((p) => ({ progress: at(p.step), value: p.value }));
}

/** One run of a group: its declared stages and its stage paths for the topic and stance at hand. */
export interface GroupMember {
  stages: readonly { name: string; kind: StageKind }[];
  paths: readonly StagePath[];
}

export interface Estimate extends Summary {
  ciLow: number;
  ciHigh: number;
}

/** Mean of `xs` with sd, se, n and the t interval at `confidence` (README Metrics 3 over the values). */
export function estimateOf(xs: readonly number[], confidence: number = DEFAULT_CONFIDENCE): Estimate {
  const sm = summarise(xs, confidence);
  return { ...sm, ciLow: sm.mean - sm.half, ciHigh: sm.mean + sm.half };
}

export interface AlignedStage {
  kind: StageKind;
  occurrenceFromEnd: number;
  /** Distinct stage names the slot holds, in member order. */
  stageNames: string[];
  /** Members with a path in this slot. */
  runs: number;
  points: ({ progress: number } & GridAggregate)[];
  /** Across-run drift magnitude and time; null for base stages. */
  drift: { magnitude: Estimate; driftTime: Estimate } | null;
}

/**
 * The aligned stages of a group for one topic and stance: each member's paths are put in their
 * slot ({@link stageSlots}), interpolated on the progress grid and averaged across runs. A member
 * with no path in a slot (no data for the topic in that stage) leaves the slot empty for that
 * run. Slots come in training order: by the mean position of their stages in the members' runs,
 * then kind order and occurrence.
 */
export function alignGroup(
  members: readonly GroupMember[],
  gridPoints: number,
  confidence: number = DEFAULT_CONFIDENCE,
  endpoint: DriftEndpoint = 'LAST',
): AlignedStage[] {
  const aligner = new GroupAligner(gridPoints, endpoint);
  for (const member of members) aligner.add(member);
  return aligner.finish(confidence);
}

interface Slot extends StageSlot {
  names: string[];
  positions: number[];
  series: (number | null)[][];
  magnitudes: number[];
  times: number[];
}

/**
 * {@link alignGroup} one member at a time, so that a caller can spread a large group's work
 * over several turns of the event loop: `add` every member, then `finish` once.
 */
export class GroupAligner {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly gridPoints: number,
    private readonly endpoint: DriftEndpoint = 'LAST',
  ) {}

  add(member: GroupMember): void {
    const slotOf = stageSlots(member.stages);
    const position = new Map(member.stages.map((s, i) => [s.name, i]));
    for (const path of member.paths) {
      const at = slotOf.get(path.stage);
      if (!at) throw new Error(`stage "${path.stage}" is not declared by its run`);
      const key = `${at.kind}#${at.occurrenceFromEnd}`;
      let slot = this.slots.get(key);
      if (!slot) this.slots.set(key, (slot = { ...at, names: [], positions: [], series: [], magnitudes: [], times: [] }));
      if (!slot.names.includes(path.stage)) slot.names.push(path.stage);
      slot.positions.push(position.get(path.stage)!);
      slot.series.push(interpolateOnGrid(progressPoints(path), this.gridPoints));
      if (path.kind !== 'base') {
        const d = stageDrift(path, this.endpoint);
        slot.magnitudes.push(d.magnitude);
        slot.times.push(d.driftTime);
      }
    }
  }

  finish(confidence: number = DEFAULT_CONFIDENCE): AlignedStage[] {
    const grid = progressGrid(this.gridPoints);
    const meanPosition = (s: Slot) => s.positions.reduce((a, b) => a + b, 0) / s.positions.length;
    const kindOrder: readonly StageKind[] = ['base', 'sft', 'other', 'preference'];
    const ordered = [...this.slots.values()].sort(
      (a, b) =>
        meanPosition(a) - meanPosition(b) ||
        kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) ||
        b.occurrenceFromEnd - a.occurrenceFromEnd,
    );
    const estimate = (xs: number[]) => estimateOf(xs, confidence);
    return ordered.map((slot) => ({
      kind: slot.kind,
      occurrenceFromEnd: slot.occurrenceFromEnd,
      stageNames: slot.names,
      runs: slot.series.length,
      points: aggregateAcrossRuns(slot.series, confidence).map((a, i) => ({ progress: grid[i]!, ...a })),
      drift: slot.magnitudes.length ? { magnitude: estimate(slot.magnitudes), driftTime: estimate(slot.times) } : null,
    }));
  }
}
