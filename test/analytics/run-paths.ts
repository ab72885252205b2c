import { resolveStages, stagePaths, type CheckpointValue, type StagePath, type StageSpec } from '../../src/analytics';

/**
 * Stage paths of a run from its declared stages and one topic's checkpoints, with T_k taken over
 * `runCheckpoints` (every checkpoint of the run, all topics; by default the same checkpoints).
 */
export function runPaths(
  stages: readonly StageSpec[],
  checkpoints: readonly CheckpointValue[],
  runCheckpoints: readonly { stage: string; step: number }[] = checkpoints,
): StagePath[] {
  return stagePaths(resolveStages(stages, largestEvaluatedSteps(runCheckpoints)), checkpoints);
}

/** Stage name → largest evaluated step, over the given checkpoints (pass all of a run's). */
export function largestEvaluatedSteps(checkpoints: readonly { stage: string; step: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of checkpoints) out.set(c.stage, Math.max(out.get(c.stage) ?? c.step, c.step));
  return out;
}
