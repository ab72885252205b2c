import { Field, Float, ID, InputType, Int, ObjectType, ArgsType, registerEnumType } from 'type-graphql';
import { RunFilter } from '../catalog/catalog.types';
import { SmoothingMethod, StageKindEnum, StanceEnum } from '../common/enums';

export enum DriftEndpointEnum {
  LAST = 'LAST',
  EXTREMUM = 'EXTREMUM',
}
registerEnumType(DriftEndpointEnum, {
  name: 'DriftEndpoint',
  description: 'LAST: magnitude = last − first point of the stage path. EXTREMUM: the point farthest from the first.',
});

@ArgsType()
export class SelectionArgs {
  @Field(() => [ID], {
    nullable: true,
    description: 'Run ids (Run.id, or a manifest run key that names one run). Omitted: every run the filter matches.',
  })
  runIds?: string[];

  @Field(() => RunFilter, { nullable: true, description: 'Select runs by lab, dataset, model, algorithm, stage dataset or stage kind' })
  runFilter?: RunFilter;

  @Field(() => [String], { nullable: true, description: 'Topics; omitted means all' })
  topics?: string[];

  @Field(() => [StanceEnum], { nullable: true, description: 'Stances; omitted means all three' })
  stances?: StanceEnum[];

  @Field(() => Float, { defaultValue: 0.95, description: 'Confidence level γ of the intervals, strictly between 0 and 1' })
  confidence!: number;
}

@InputType({ description: 'Smoothing applied at full resolution, before downsampling' })
export class SmoothingInput {
  @Field(() => SmoothingMethod, { defaultValue: SmoothingMethod.EMA })
  method!: SmoothingMethod;

  @Field(() => Float, { description: 'EMA weight of the newest point, in (0, 1]; 1 means no smoothing' })
  alpha!: number;
}

@ArgsType()
export class TrajectoryArgs extends SelectionArgs {
  @Field(() => Int, {
    nullable: true,
    description: 'Downsample each trajectory to at most this many points, keeping each bucket’s min and max',
  })
  maxPoints?: number;

  @Field(() => SmoothingInput, { nullable: true })
  smoothing?: SmoothingInput;
}

@ArgsType()
export class DriftArgs extends SelectionArgs {
  @Field(() => DriftEndpointEnum, { defaultValue: DriftEndpointEnum.LAST })
  endpoint!: DriftEndpointEnum;
}

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

  @Field(() => StanceEnum)
  stance!: StanceEnum;
}

// simpleResolvers: plain data fields, no middlewares to run per value.
@ObjectType({ description: 'A checkpoint of a trajectory', simpleResolvers: true })
export class TrajectoryPointType {
  @Field(() => String)
  stage!: string;

  @Field(() => StageKindEnum)
  stageKind!: StageKindEnum;

  @Field(() => Int, { description: 'Step within the stage' })
  step!: number;

  @Field(() => Int, { description: "step plus T_k (totalSteps, else largest evaluated step) of the run's earlier stages" })
  globalStep!: number;

  @Field(() => Float, { description: 'step / T_k of the stage' })
  progress!: number;

  @Field(() => Float, { description: 'Mean over prompts of the prompt means (DESIGN §3.2)' })
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

@ObjectType({ description: 'Drift of one non-base stage for one run, topic and stance (DESIGN §3.5-6)', simpleResolvers: true })
export class DriftMetric extends RunTopicStance {
  @Field(() => String)
  stage!: string;

  @Field(() => StageKindEnum)
  stageKind!: StageKindEnum;

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

  @Field(() => StageKindEnum)
  stageKind!: StageKindEnum;

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

@ObjectType({ description: 'How much of a run’s value change each stage contributed (DESIGN §3.7)' })
export class StageAttribution extends RunTopicStance {
  @Field(() => Float)
  totalDelta!: number;

  @Field(() => [StageShare])
  stages!: StageShare[];
}

export enum GroupFactorEnum {
  ALGORITHM = 'ALGORITHM',
  DATASET = 'DATASET',
  MODEL = 'MODEL',
  SFT_DATASET = 'SFT_DATASET',
  LAB = 'LAB',
}
registerEnumType(GroupFactorEnum, {
  name: 'GroupFactor',
  description:
    'ALGORITHM / DATASET: algorithm and training data of the run’s last stage of the chosen stageKind (default PREFERENCE); ' +
    'SFT_DATASET: data of the last SFT stage; MODEL; LAB',
});

@ArgsType()
export class GroupedTrajectoryArgs extends SelectionArgs {
  @Field(() => [GroupFactorEnum], { description: 'Factors whose level combinations form the groups; [] puts all runs in one group' })
  groupBy!: GroupFactorEnum[];

  @Field(() => Int, { defaultValue: 50, description: 'Points of the common progress grid per stage (2 to 1000)' })
  gridPoints!: number;

  @Field(() => StageKindEnum, { defaultValue: StageKindEnum.PREFERENCE, description: 'Stage kind the ALGORITHM and DATASET factors read' })
  stageKind!: StageKindEnum;

  @Field(() => DriftEndpointEnum, { defaultValue: DriftEndpointEnum.LAST, description: 'Endpoint of the grouped drift magnitudes' })
  endpoint!: DriftEndpointEnum;
}

@ObjectType()
export class GroupLevel {
  @Field(() => GroupFactorEnum)
  factor!: GroupFactorEnum;

  @Field(() => String)
  level!: string;
}

@ObjectType({ description: 'Across-run summary at one progress value; the unit is the run', simpleResolvers: true })
export class GroupedPoint {
  @Field(() => Float, { description: 'step / T_k, from 0 to 1' })
  progress!: number;

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

@ObjectType({ description: 'The k-th evaluated stage of the group’s runs' })
export class GroupedStage {
  @Field(() => Int)
  index!: number;

  @Field(() => String, { description: 'Stage name (of the first run; runs are aligned by position)' })
  stage!: string;

  @Field(() => StageKindEnum)
  stageKind!: StageKindEnum;

  @Field(() => Int)
  runs!: number;

  @Field(() => [GroupedPoint])
  points!: GroupedPoint[];

  @Field(() => GroupedDrift, { nullable: true, description: 'Mean drift magnitude and time over the runs; null for base stages' })
  drift!: GroupedDrift | null;
}

@ObjectType({ description: 'Runs sharing factor levels, aligned on progress within each stage' })
export class GroupedTrajectory {
  @Field(() => [GroupLevel])
  levels!: GroupLevel[];

  @Field(() => String)
  label!: string;

  @Field(() => String)
  topic!: string;

  @Field(() => StanceEnum)
  stance!: StanceEnum;

  @Field(() => [ID])
  runIds!: string[];

  @Field(() => [String])
  runKeys!: string[];

  @Field(() => [String])
  labs!: string[];

  @Field(() => [GroupedStage])
  stages!: GroupedStage[];
}
