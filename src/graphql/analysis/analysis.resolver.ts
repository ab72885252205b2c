import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { AnalysisService, type Selection } from '../../services/analysis.service';
import type { Context } from '../context';
import { AttributionSummaryArgs, DriftArgs, GroupedTrajectoryArgs, SelectionArgs, TrajectoryArgs } from './analysis.args';
import { AttributionSummary, DriftMetric, GroupedTrajectory, StageAttribution, Trajectory } from './analysis.types';

/** The selection every analytic query shares, as the services take it. */
export function toSelection(a: SelectionArgs): Selection {
  return { runIds: a.runIds, runFilter: a.runFilter, topics: a.topics, stances: a.stances, confidence: a.confidence };
}

@Resolver()
export class AnalysisResolver {
  constructor(private readonly analysis: AnalysisService) {}

  @Query(() => [Trajectory], { description: 'One trajectory per run × topic × stance' })
  trajectories(@Args(() => TrajectoryArgs) args: TrajectoryArgs, @Ctx() ctx: Context): Promise<Trajectory[]> {
    return this.analysis.trajectories(ctx.scope, { ...toSelection(args), maxPoints: args.maxPoints, emaAlpha: args.smoothing?.alpha });
  }

  @Query(() => [DriftMetric], { description: 'Drift magnitude and time for every non-base stage of the selected runs' })
  driftMetrics(@Args(() => DriftArgs) args: DriftArgs, @Ctx() ctx: Context): Promise<DriftMetric[]> {
    return this.analysis.driftMetrics(ctx.scope, { ...toSelection(args), endpoint: args.endpoint });
  }

  @Query(() => [StageAttribution], { description: 'Share of the value change per stage' })
  stageAttribution(@Args(() => SelectionArgs) args: SelectionArgs, @Ctx() ctx: Context): Promise<StageAttribution[]> {
    return this.analysis.stageAttribution(ctx.scope, toSelection(args));
  }

  @Query(() => [GroupedTrajectory], {
    description: 'Trajectories averaged over groups of runs, per topic and stance, with across-run uncertainty',
  })
  groupedTrajectories(@Args(() => GroupedTrajectoryArgs) args: GroupedTrajectoryArgs, @Ctx() ctx: Context): Promise<GroupedTrajectory[]> {
    return this.analysis.groupedTrajectories(ctx.scope, {
      ...toSelection(args),
      groupBy: args.groupBy,
      gridPoints: args.gridPoints,
      stageKind: args.stageKind,
      endpoint: args.endpoint,
    });
  }

  @Query(() => [AttributionSummary], {
    description:
      'Per group × topic × stance, how the value change divides among kinds of stages: mean shares and deltas over the runs, with t intervals',
  })
  attributionSummary(@Args(() => AttributionSummaryArgs) args: AttributionSummaryArgs, @Ctx() ctx: Context): Promise<AttributionSummary[]> {
    return this.analysis.attributionSummary(ctx.scope, { ...toSelection(args), groupBy: args.groupBy, stageKind: args.stageKind });
  }
}
