import type { StageKind } from '../domain';

/** A stage of a run as the manifest declares it; `totalSteps` is null when the manifest omits it. */
export interface StageSpec {
  name: string;
  kind: StageKind;
  totalSteps: number | null;
}

/** A declared stage with its length T_k resolved by {@link resolveStages}. */
export interface RunStage extends StageSpec {
  T: number;
}

/**
 * T_k of every declared stage of a run (README Metrics 4), the one place it is decided:
 * `totalSteps`, else the stage's largest evaluated step over all of the run's checkpoints (every
 * topic, so it is the same for each topic), else 0 for a stage that was never evaluated.
 */
export function resolveStages(stages: readonly StageSpec[], largestEvaluatedStep: ReadonlyMap<string, number>): RunStage[] {
  return stages.map((s) => ({ ...s, T: s.totalSteps ?? largestEvaluatedStep.get(s.name) ?? 0 }));
}

/**
 * Global-step offset of every declared stage: the sum of T_k over the run's earlier declared
 * stages, evaluated or not (a stage that trained for totalSteps took that room even if no
 * checkpoint of it was evaluated). The one rule for `globalStep` everywhere.
 */
export function stageOffsets(stages: readonly RunStage[]): Map<string, number> {
  const offsets = new Map<string, number>();
  let offset = 0;
  for (const s of stages) {
    offsets.set(s.name, offset);
    offset += s.T;
  }
  return offsets;
}

/** One checkpoint's value for a fixed run, topic and stance (README Metrics 2). */
export interface CheckpointValue {
  stage: string;
  step: number;
  value: number;
  half: number;
  n: number;
}

export interface PathPoint extends CheckpointValue {
  /**
   * True for the start point a later stage's path opens with: it carries the previous stage's
   * last checkpoint (value, half, n) but sits at step 0 of *this* stage, and `stage` names this
   * stage. It is derived, not an evaluation, so trajectories usually leave it out.
   */
  isStart: boolean;
}

export interface StagePath {
  stage: string;
  kind: StageKind;
  /** T_k, as {@link resolveStages} decides it. */
  T: number;
  points: PathPoint[];
}

/**
 * Stage paths of one run for one topic and stance (README Metrics 4).
 *
 * Stages follow manifest order and those without checkpoints are skipped, so a run whose base
 * stage was never evaluated starts its first path without a start point; that first stage is
 * still non-base (if it is) and later metrics treat it so. An own step-0 checkpoint stays in,
 * after the start point. Throws when a checkpoint names an undeclared stage or when a
 * (stage, step) appears twice: both mean the caller mixed runs, topics or stances.
 */
export function stagePaths(stages: readonly RunStage[], checkpoints: readonly CheckpointValue[]): StagePath[] {
  const byStage = new Map<string, CheckpointValue[]>();
  for (const stage of stages) {
    if (byStage.has(stage.name)) throw new Error(`stage "${stage.name}" is declared twice`);
    byStage.set(stage.name, []);
  }
  for (const cp of checkpoints) {
    const list = byStage.get(cp.stage);
    if (list === undefined) throw new Error(`checkpoint names stage "${cp.stage}", which the run does not declare`);
    list.push(cp);
  }

  const paths: StagePath[] = [];
  let previousLast: CheckpointValue | undefined;
  for (const stage of stages) {
    const own = [...(byStage.get(stage.name) ?? [])].sort((a, b) => a.step - b.step);
    if (own.length === 0) continue;
    for (let i = 1; i < own.length; i++) {
      if (own[i]!.step === own[i - 1]!.step) {
        throw new Error(`stage "${stage.name}" has two checkpoints at step ${own[i]!.step}`);
      }
    }

    const points: PathPoint[] = [];
    if (previousLast !== undefined) {
      const { value, half, n } = previousLast;
      points.push({ stage: stage.name, step: 0, value, half, n, isStart: true });
    }
    for (const cp of own) {
      points.push({ stage: cp.stage, step: cp.step, value: cp.value, half: cp.half, n: cp.n, isStart: false });
    }
    const lastOwn = own[own.length - 1]!;
    paths.push({ stage: stage.name, kind: stage.kind, T: stage.T, points });
    previousLast = lastOwn;
  }
  return paths;
}
