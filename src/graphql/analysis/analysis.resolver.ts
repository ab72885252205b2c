import { Args, Query, Resolver } from 'type-graphql';
import type { RunSelector } from '../../services/catalog.service';
import { AnalysisService, type Selection, type GroupFactor } from '../../services/analysis.service';
import { type Stance, type StageKind } from '../../domain';
import {
  DriftArgs,
  DriftMetric,
  GroupedTrajectory,
  GroupedTrajectoryArgs,
  SelectionArgs,
  StageAttribution,
  Trajectory,
  TrajectoryArgs,
} from './analysis.types';

export function toSelection(a: SelectionArgs): Selection {
  return {
    runIds: a.runIds ?? null,
    runFilter: (a.runFilter as RunSelector | undefined) ?? null,
    topics: a.topics ?? null,
    stances: (a.stances as Stance[] | undefined) ?? null,
    confidence: a.confidence,
  };
}

@Resolver()
export class AnalysisResolver {
  constructor(private readonly analysis: AnalysisService) {}

  @Query(() => [Trajectory], { description: 'One trajectory per run × topic × stance' })
  trajectories(@Args(() => TrajectoryArgs) args: TrajectoryArgs): Promise<Trajectory[]> {
    return this.analysis.trajectories({ ...toSelection(args), maxPoints: args.maxPoints, emaAlpha: args.smoothing?.alpha }) as Promise<
      Trajectory[]
    >;
  }

  @Query(() => [DriftMetric], { description: 'Drift magnitude and time for every non-base stage of the selected runs' })
  driftMetrics(@Args(() => DriftArgs) args: DriftArgs): Promise<DriftMetric[]> {
    return this.analysis.driftMetrics({ ...toSelection(args), endpoint: args.endpoint }) as Promise<DriftMetric[]>;
  }

  @Query(() => [StageAttribution], { description: 'Share of the value change per stage' })
  stageAttribution(@Args(() => SelectionArgs) args: SelectionArgs): Promise<StageAttribution[]> {
    return this.analysis.stageAttribution(toSelection(args)) as Promise<StageAttribution[]>;
  }

  @Query(() => [GroupedTrajectory], {
    description: 'Trajectories averaged over groups of runs, per topic and stance, with across-run uncertainty',
  })
  groupedTrajectories(@Args(() => GroupedTrajectoryArgs) args: GroupedTrajectoryArgs): Promise<GroupedTrajectory[]> {
    return this.analysis.groupedTrajectories({
      ...toSelection(args),
      groupBy: args.groupBy as GroupFactor[],
      gridPoints: args.gridPoints,
      stageKind: args.stageKind as StageKind,
      endpoint: args.endpoint,
    }) as Promise<GroupedTrajectory[]>;
  }
}
