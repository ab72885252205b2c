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
  @Field(() => [ID], { nullable: true, description: 'Run ids (Run.id, or a manifest run key that names one run). Omitted: every run the filter matches.' })
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
  @Field(() => Int, { nullable: true, description: 'Downsample each trajectory to at most this many points, keeping each bucket’s min and max' })
  maxPoints?: number;

  @Field(() => SmoothingInput, { nullable: true })
  smoothing?: SmoothingInput;
}

@ArgsType()
export class DriftArgs extends SelectionArgs {
  @Field(() => DriftEndpointEnum, { defaultValue: DriftEndpointEnum.LAST })
  endpoint!: DriftEndpointEnum;
}

@ObjectType({ description: 'A checkpoint of a trajectory' })
export class TrajectoryPointType {
  @Field(() => String)
  stage!: string;

  @Field(() => StageKindEnum)
  stageKind!: StageKindEnum;

  @Field(() => Int, { description: 'Step within the stage' })
  step!: number;

  @Field(() => Int, { description: 'step plus the totalSteps of earlier stages' })
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
export class Trajectory {
  @Field(() => ID)
  runId!: string;

  @Field(() => String)
  runKey!: string;

  @Field(() => String)
  topic!: string;

  @Field(() => StanceEnum)
  stance!: StanceEnum;

  @Field(() => [TrajectoryPointType])
  points!: TrajectoryPointType[];
}

@ObjectType({ description: 'Drift of one non-base stage for one run, topic and stance (DESIGN §3.5-6)' })
export class DriftMetric {
  @Field(() => ID)
  runId!: string;

  @Field(() => String)
  runKey!: string;

  @Field(() => String)
  topic!: string;

  @Field(() => StanceEnum)
  stance!: StanceEnum;

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
export class StageAttribution {
  @Field(() => ID)
  runId!: string;

  @Field(() => String)
  runKey!: string;

  @Field(() => String)
  topic!: string;

  @Field(() => StanceEnum)
  stance!: StanceEnum;

  @Field(() => Float)
  totalDelta!: number;

  @Field(() => [StageShare])
  stages!: StageShare[];
}
