import type { GroupFactor, StageKind } from '../domain';

/** What factor levels are read from: a run's model, lab and declared stages in training order. */
export interface FactorSource {
  model: string;
  lab: string;
  stages: readonly { kind: StageKind; algorithm: string | null; dataset: string | null }[];
}

/** The run's last declared stage of `kind` (README, effect decomposition: "the run's last stage of the chosen kind"). */
export function lastStageOfKind<S extends { kind: StageKind }>(stages: readonly S[], kind: StageKind): S | undefined {
  for (let i = stages.length - 1; i >= 0; i--) if (stages[i]!.kind === kind) return stages[i];
  return undefined;
}

/**
 * A run's level of one factor: ALGORITHM and DATASET of its last stage of `kind`, SFT_DATASET of
 * its last `sft` stage, MODEL, LAB. Null when the run lacks that stage or the stage lacks the field.
 */
export function factorLevel(run: FactorSource, factor: GroupFactor, kind: StageKind): string | null {
  switch (factor) {
    case 'MODEL':
      return run.model;
    case 'LAB':
      return run.lab;
    case 'SFT_DATASET':
      return lastStageOfKind(run.stages, 'sft')?.dataset ?? null;
    case 'ALGORITHM':
      return lastStageOfKind(run.stages, kind)?.algorithm ?? null;
    case 'DATASET':
      return lastStageOfKind(run.stages, kind)?.dataset ?? null;
  }
}

export interface FactorGroup<R> {
  levels: { factor: GroupFactor; level: string }[];
  members: R[];
}

/**
 * Runs grouped by their levels of `factors` (in that order), groups sorted by their levels; runs
 * lacking a level of some factor are left out (they are returned in `excluded`). With no
 * factors every run is in one group.
 */
export function groupByFactors<R extends FactorSource>(
  runs: readonly R[],
  factors: readonly GroupFactor[],
  kind: StageKind,
): { groups: FactorGroup<R>[]; excluded: R[] } {
  const groups = new Map<string, FactorGroup<R>>();
  const excluded: R[] = [];
  for (const run of runs) {
    const levels: { factor: GroupFactor; level: string }[] = [];
    for (const factor of factors) {
      const level = factorLevel(run, factor, kind);
      if (level !== null) levels.push({ factor, level });
    }
    if (levels.length < factors.length) {
      excluded.push(run);
      continue;
    }
    const key = JSON.stringify(levels.map((l) => l.level));
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { levels, members: [] }));
    group.members.push(run);
  }
  const sortKey = (g: FactorGroup<R>) => g.levels.map((l) => l.level);
  const sorted = [...groups.values()].sort((a, b) => compareLists(sortKey(a), sortKey(b)));
  return { groups: sorted, excluded };
}

function compareLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return a.length - b.length;
}
