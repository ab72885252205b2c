import { Max, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, Float, ID, InputType, Int } from 'type-graphql';
import { DEFAULT_CONFIDENCE } from '../../analytics';
import { LIMITS } from '../../services/limits';
import { RunFilter } from '../catalog/catalog.types';
import { DriftEndpoint, GroupFactor, SmoothingMethod, StageKind, Stance } from '../common/enums';
import { BoundedList, IsConfidence, IsEmaWeight } from '../common/validators';

/** The run, topic and stance selection every analytic query takes. */
@ArgsType()
export class SelectionArgs {
  @Field(() => [ID], {
    nullable: true,
    description: `Run ids (Run.id, or a manifest run key that names one run), at most ${LIMITS.runIdsPerQuery}. Omitted: every run the filter matches.`,
  })
  @BoundedList(LIMITS.runIdsPerQuery, 'use runFilter to select more runs')
  runIds?: string[];

  @Field(() => RunFilter, {
    nullable: true,
    description: 'Select runs by lab, dataset, model, algorithm, stage dataset or stage kind; with runIds, the intersection',
  })
  @ValidateNested()
  runFilter?: RunFilter;

  @Field(() => [String], { nullable: true, description: `Topics, at most ${LIMITS.topics}; omitted means all` })
  @BoundedList(LIMITS.topics)
  topics?: string[];

  @Field(() => [Stance], { nullable: true, description: 'Stances; omitted means all three' })
  @BoundedList(3)
  stances?: Stance[];

  @Field(() => Float, { defaultValue: DEFAULT_CONFIDENCE, description: 'Confidence level γ of the intervals, strictly between 0 and 1' })
  @IsConfidence()
  confidence!: number;
}

@InputType({ description: 'Smoothing applied at full resolution, before downsampling' })
export class SmoothingInput {
  @Field(() => SmoothingMethod, { defaultValue: SmoothingMethod.EMA })
  method!: SmoothingMethod;

  @Field(() => Float, { description: 'EMA weight of the newest point, in (0, 1]; 1 means no smoothing' })
  @IsEmaWeight()
  alpha!: number;
}

@ArgsType()
export class TrajectoryArgs extends SelectionArgs {
  @Field(() => Int, {
    nullable: true,
    description:
      'Downsample each trajectory to at most this many points (at least 2), keeping each bucket’s min and max; omitted keeps all',
  })
  @Min(2, { message: 'maxPoints must be at least 2 (the first and last points are always kept)' })
  maxPoints?: number;

  @Field(() => SmoothingInput, { nullable: true, description: 'Omitted: no smoothing' })
  @ValidateNested()
  smoothing?: SmoothingInput;
}

@ArgsType()
export class DriftArgs extends SelectionArgs {
  @Field(() => DriftEndpoint, { defaultValue: DriftEndpoint.LAST })
  endpoint!: DriftEndpoint;
}

@ArgsType()
export class GroupedTrajectoryArgs extends SelectionArgs {
  @Field(() => [GroupFactor], { description: 'Factors whose level combinations form the groups; [] puts all runs in one group' })
  groupBy!: GroupFactor[];

  @Field(() => Int, { defaultValue: 50, description: `Points of the common progress grid per stage, 2 to ${LIMITS.gridPoints}` })
  @Min(2, { message: `gridPoints must be from 2 to ${LIMITS.gridPoints}` })
  @Max(LIMITS.gridPoints, { message: `gridPoints must be from 2 to ${LIMITS.gridPoints}` })
  gridPoints!: number;

  @Field(() => StageKind, { defaultValue: StageKind.PREFERENCE, description: 'Stage kind the ALGORITHM and DATASET factors read' })
  stageKind!: StageKind;

  @Field(() => DriftEndpoint, { defaultValue: DriftEndpoint.LAST, description: 'Endpoint of the grouped drift magnitudes' })
  endpoint!: DriftEndpoint;
}

@ArgsType()
export class AttributionSummaryArgs extends SelectionArgs {
  @Field(() => [GroupFactor], {
    defaultValue: [],
    description: 'Factors whose level combinations form the groups; [] (the default) puts all runs in one group',
  })
  groupBy!: GroupFactor[];

  @Field(() => StageKind, { defaultValue: StageKind.PREFERENCE, description: 'Stage kind the ALGORITHM and DATASET factors read' })
  stageKind!: StageKind;
}
