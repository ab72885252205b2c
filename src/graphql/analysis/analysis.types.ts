import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { GroupFactor, StageKind, Stance } from '../common/enums';

/** The key every per-run analytic row carries. */
// Not reachable from any field itself, so it does not appear in the schema.
@ObjectType()
export abstract class RunTopicStance {
  @Field(() => ID)
  runId!: string;

  @Field(() => String)
  runKey!: string;

  @Field(() => String)
  topic!: string;

  @Field(() => Stance)
  stance!: Stance;
}

// simpleResolvers: plain data fields, no middlewares to run per value.
@ObjectType({ description: 'A checkpoint of a trajectory', simpleResolvers: true })
export class TrajectoryPointType {
  @Field(() => String)
  stage!: string;

  @Field(() => StageKind)
  stageKind!: StageKind;

  @Field(() => Int, { description: 'Step within the stage' })
  step!: number;

  @Field(() => Int, { description: "step plus T_k (totalSteps, else largest evaluated step) of the run's earlier stages" })
  globalStep!: number;

  @Field(() => Float, { description: 'step / T_k of the stage' })
  progress!: number;

  @Field(() => Float, { description: 'Value: the mean over prompts of their prompt means (README, Metrics 2)' })
  value!: number;

  @Field(() => Float)
  ciLow!: number;

  @Field(() => Float)
  ciHigh!: number;

  @Field(() => Int, { description: 'Prompts behind the value' })
  n!: number;
}

@ObjectType({ description: 'Value trajectory of one run, topic and stance' })
export class Trajectory extends RunTopicStance {
  @Field(() => [TrajectoryPointType])
  points!: TrajectoryPointType[];
}

@ObjectType({
  description: 'Drift of one non-base stage for one run, topic and stance (README, Metrics 5-6)',
  simpleResolvers: true,
})
export class DriftMetric extends RunTopicStance {
  @Field(() => String)
  stage!: string;

  @Field(() => StageKind)
  stageKind!: StageKind;

  @Field(() => Float, { description: 'Signed drift magnitude for the requested endpoint' })
  magnitude!: number;

  @Field(() => Float, { description: 'η = t*/T_k: when the stage reached (within its CI) its extreme value' })
  driftTime!: number;

  @Field(() => Float)
  startValue!: number;

  @Field(() => Float)
  endValue!: number;

  @Field(() => Float, { description: 'Value at e: the largest value if the stage moved up, else the smallest' })
  extremumValue!: number;

  @Field(() => Int)
  extremumStep!: number;
}

@ObjectType()
export class StageShare {
  @Field(() => String)
  stage!: string;

  @Field(() => StageKind)
  stageKind!: StageKind;

  @Field(() => Float, { description: 'Δ_k: the stage’s drift magnitude' })
  delta!: number;

  @Field(() => Float, { nullable: true, description: '|Δ_k| / Σ|Δ_j|; null when nothing moved' })
  netShare!: number | null;

  @Field(() => Float, { description: 'Σ |v_{i+1} − v_i| along the stage path' })
  pathLength!: number;

  @Field(() => Float, { nullable: true })
  pathShare!: number | null;

  @Field(() => Float, { nullable: true, description: '½ Σ_s |Δ_{k,s}| over the three stances (total variation)' })
  distributionShift!: number | null;
}

@ObjectType({ description: 'How much of a run’s value change each stage contributed (README, Metrics 7)' })
export class StageAttribution extends RunTopicStance {
  @Field(() => Float)
  totalDelta!: number;

  @Field(() => [StageShare])
  stages!: StageShare[];
}

@ObjectType()
export class GroupLevel {
  @Field(() => GroupFactor)
  factor!: GroupFactor;

  @Field(() => String)
  level!: string;
}

@ObjectType({ description: 'Across-run summary at one progress value; the unit is the run', simpleResolvers: true })
export class GroupedPoint {
  @Field(() => Float, { description: 'step / T_k, from 0 to 1' })
  progress!: number;

  @Field(() => Float, {
    description:
      "The run-level axis: the stage slot's index plus progress, so that a group's slots lie end to end " +
      '(slot 0 from 0 to 1, slot 1 from 1 to 2, ...) and base → SFT → preference can be drawn as one line',
  })
  globalProgress!: number;

  @Field(() => Float, { nullable: true, description: 'Mean over the runs evaluated around this progress; null when none is' })
  mean!: number | null;

  @Field(() => Float, { nullable: true })
  sd!: number | null;

  @Field(() => Float, { nullable: true })
  se!: number | null;

  @Field(() => Float, { nullable: true })
  ciLow!: number | null;

  @Field(() => Float, { nullable: true })
  ciHigh!: number | null;

  @Field(() => Int, { description: 'Runs contributing (linear interpolation within their evaluated range)' })
  n!: number;
}

@ObjectType({ description: 'Mean over runs with a t confidence interval' })
export class GroupedEstimate {
  @Field(() => Float)
  mean!: number;

  @Field(() => Float, { nullable: true })
  sd!: number | null;

  @Field(() => Float, { nullable: true })
  se!: number | null;

  @Field(() => Float)
  ciLow!: number;

  @Field(() => Float)
  ciHigh!: number;

  @Field(() => Int)
  n!: number;
}

@ObjectType()
export class GroupedDrift {
  @Field(() => GroupedEstimate)
  magnitude!: GroupedEstimate;

  @Field(() => GroupedEstimate)
  driftTime!: GroupedEstimate;
}

@ObjectType({
  description:
    'One aligned stage slot of a group: stages of the same kind matched by their occurrence counted from each run’s end ' +
    '(the last preference stage of every run with the last preference stage of the others), in training order',
})
export class GroupedStage {
  @Field(() => Int, { description: 'Position of the slot in the group, from 0' })
  index!: number;

  @Field(() => String, { description: 'The first of stageNames' })
  stage!: string;

  @Field(() => [String], { description: 'The stage names this slot holds across the group’s runs' })
  stageNames!: string[];

  @Field(() => StageKind)
  stageKind!: StageKind;

  @Field(() => Int, { description: '0 = each run’s last stage of this kind, 1 = the one before it, ...' })
  occurrenceFromEnd!: number;

  @Field(() => Int, { description: 'Runs with data for this topic in this slot' })
  runs!: number;

  @Field(() => [GroupedPoint])
  points!: GroupedPoint[];

  @Field(() => GroupedDrift, { nullable: true, description: 'Mean drift magnitude and time over the runs; null for base stages' })
  drift!: GroupedDrift | null;
}

/** One group of runs (a combination of factor levels) for one topic and stance. */
@ObjectType()
abstract class GroupCell {
  @Field(() => [GroupLevel])
  levels!: GroupLevel[];

  @Field(() => String, { description: 'The levels as FACTOR=level, comma-separated; "all runs" without groupBy' })
  label!: string;

  @Field(() => String)
  topic!: string;

  @Field(() => Stance)
  stance!: Stance;
}

@ObjectType({ description: 'Runs sharing factor levels, aligned on progress within each stage' })
export class GroupedTrajectory extends GroupCell {
  @Field(() => [ID])
  runIds!: string[];

  @Field(() => [String])
  runKeys!: string[];

  @Field(() => [String])
  labs!: string[];

  @Field(() => [GroupedStage])
  stages!: GroupedStage[];
}

@ObjectType({
  description:
    'One kind of stage across a group’s runs (README "Attribution across runs"): per run, its stages of this kind ' +
    'taken together; across runs, means with t intervals',
})
export class KindAttribution {
  @Field(() => StageKind)
  stageKind!: StageKind;

  @Field(() => Int, { description: 'Runs with a stage of this kind and data for the topic' })
  runs!: number;

  @Field(() => GroupedEstimate, { description: 'Σ Δ_k over the run’s stages of this kind: the signed value change' })
  delta!: GroupedEstimate;

  @Field(() => GroupedEstimate, { description: 'Σ |Δ_k| over the run’s stages of this kind' })
  absDelta!: GroupedEstimate;

  @Field(() => GroupedEstimate, {
    nullable: true,
    description: 'Σ netShare_k: this kind’s share of the net value change; n counts runs whose share is defined; null when none is',
  })
  netShare!: GroupedEstimate | null;

  @Field(() => GroupedEstimate, {
    nullable: true,
    description: 'Σ pathShare_k: this kind’s share of the path length; null when no run moved',
  })
  pathShare!: GroupedEstimate | null;
}

@ObjectType({ description: 'How the value change of a group’s runs divides among kinds of stages, for one topic and stance' })
export class AttributionSummary extends GroupCell {
  @Field(() => Int, { description: 'Runs of the group with data for the topic' })
  runs!: number;

  @Field(() => [KindAttribution], { description: 'In training order: sft, other, preference (base stages carry no change)' })
  kinds!: KindAttribution[];
}
