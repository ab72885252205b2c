import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { RunFilter } from '../catalog/catalog.types';
import { DriftEndpointEnum } from '../analysis/analysis.types';
import { StageKindEnum, StanceEnum } from '../common/enums';

export enum OutcomeEnum {
  DRIFT_MAGNITUDE = 'DRIFT_MAGNITUDE',
  DRIFT_TIME = 'DRIFT_TIME',
  END_VALUE = 'END_VALUE',
}
registerEnumType(OutcomeEnum, { name: 'Outcome', description: 'Per-run outcome of the run’s last stage of the chosen kind' });

export enum EffectFactorEnum {
  ALGORITHM = 'ALGORITHM',
  DATASET = 'DATASET',
  MODEL = 'MODEL',
  SFT_DATASET = 'SFT_DATASET',
  LAB = 'LAB',
  TOPIC = 'TOPIC',
}
registerEnumType(EffectFactorEnum, {
  name: 'EffectFactor',
  description:
    'ALGORITHM / DATASET of the analysed stage; SFT_DATASET of the last sft stage; MODEL; LAB; TOPIC (one observation per run and topic)',
});

export enum SumOfSquaresEnum {
  TYPE_I = 'TYPE_I',
  TYPE_II = 'TYPE_II',
  TYPE_III = 'TYPE_III',
}
registerEnumType(SumOfSquaresEnum, {
  name: 'SumOfSquares',
  description: 'TYPE_I: sequential, R anova(); TYPE_II: car::Anova(type = 2); TYPE_III: car::Anova(type = 3) with sum-to-zero contrasts',
});

@InputType({ description: 'Pairwise Welch comparisons of the levels of one factor, within each level of another' })
export class PairwiseInput {
  @Field(() => EffectFactorEnum)
  factor!: EffectFactorEnum;

  @Field(() => EffectFactorEnum, {
    nullable: true,
    description: 'Compare within each level of this factor (e.g. DATASET: "does the algorithm matter when the data is held constant?")',
  })
  within?: EffectFactorEnum;
}

@InputType()
export class EffectDecompositionInput {
  @Field(() => OutcomeEnum)
  outcome!: OutcomeEnum;

  @Field(() => StanceEnum)
  stance!: StanceEnum;

  @Field(() => StageKindEnum, { defaultValue: StageKindEnum.PREFERENCE, description: 'The run’s last stage of this kind is analysed' })
  stageKind!: StageKindEnum;

  @Field(() => [String], {
    nullable: true,
    description: 'Topics averaged into each run’s outcome (each weighs the same); omitted means all',
  })
  topics?: string[];

  @Field(() => [EffectFactorEnum], {
    nullable: true,
    description: 'Factors in model order (matters for TYPE_I); default [ALGORITHM, DATASET]',
  })
  factors?: EffectFactorEnum[];

  @Field(() => Boolean, { defaultValue: true, description: 'All interactions of the factors (A*B), or main effects only (A+B)' })
  interactions!: boolean;

  @Field(() => SumOfSquaresEnum, { defaultValue: SumOfSquaresEnum.TYPE_II })
  sumOfSquares!: SumOfSquaresEnum;

  @Field(() => RunFilter, { nullable: true })
  runFilter?: RunFilter;

  @Field(() => [ID], { nullable: true })
  runIds?: string[];

  @Field(() => DriftEndpointEnum, { defaultValue: DriftEndpointEnum.LAST, description: 'Endpoint of DRIFT_MAGNITUDE' })
  endpoint!: DriftEndpointEnum;

  @Field(() => Float, { defaultValue: 0.95, description: 'Confidence level of drift times and pairwise intervals' })
  confidence!: number;

  @Field(() => PairwiseInput, { nullable: true })
  pairwise?: PairwiseInput;
}

@ObjectType()
export class AnovaTermType {
  @Field(() => String, { description: 'Factor names joined with ":" as in R, e.g. ALGORITHM:DATASET' })
  term!: string;

  @Field(() => Int)
  df!: number;

  @Field(() => Float)
  sumSq!: number;

  @Field(() => Float)
  meanSq!: number;

  @Field(() => Float, { nullable: true })
  fValue!: number | null;

  @Field(() => Float, { nullable: true })
  pValue!: number | null;

  @Field(() => Float, { nullable: true, description: 'SS / SS_total' })
  etaSq!: number | null;

  @Field(() => Float, { nullable: true, description: 'SS / (SS + SS_residual)' })
  partialEtaSq!: number | null;

  @Field(() => Float, { nullable: true, description: '(SS − df·MS_residual) / (SS_total + MS_residual)' })
  omegaSq!: number | null;
}

@ObjectType()
export class AnovaResidualType {
  @Field(() => Int)
  df!: number;

  @Field(() => Float)
  sumSq!: number;

  @Field(() => Float, { nullable: true })
  meanSq!: number | null;
}

@ObjectType()
export class FactorLevel {
  @Field(() => EffectFactorEnum)
  factor!: EffectFactorEnum;

  @Field(() => String)
  level!: string;
}

@ObjectType({ description: 'A combination of factor levels with observations' })
export class EffectCell {
  @Field(() => [FactorLevel])
  levels!: FactorLevel[];

  @Field(() => Int)
  count!: number;

  @Field(() => Float)
  mean!: number;
}

@ObjectType()
export class MarginalMean {
  @Field(() => EffectFactorEnum)
  factor!: EffectFactorEnum;

  @Field(() => String)
  level!: string;

  @Field(() => Int)
  count!: number;

  @Field(() => Float)
  mean!: number;
}

@ObjectType({ description: 'Welch comparison of levelA − levelB' })
export class PairwiseComparisonType {
  @Field(() => String, { nullable: true })
  within!: string | null;

  @Field(() => String)
  levelA!: string;

  @Field(() => String)
  levelB!: string;

  @Field(() => Int)
  nA!: number;

  @Field(() => Int)
  nB!: number;

  @Field(() => Float)
  meanA!: number;

  @Field(() => Float)
  meanB!: number;

  @Field(() => Float)
  difference!: number;

  @Field(() => Float, { nullable: true })
  se!: number | null;

  @Field(() => Float, { nullable: true, description: 'Welch–Satterthwaite degrees of freedom' })
  df!: number | null;

  @Field(() => Float, { nullable: true })
  t!: number | null;

  @Field(() => Float, { nullable: true })
  ciLow!: number | null;

  @Field(() => Float, { nullable: true })
  ciHigh!: number | null;

  @Field(() => Float, { nullable: true })
  pValue!: number | null;

  @Field(() => Float, { nullable: true, description: 'Holm-adjusted over all comparisons returned' })
  pAdjusted!: number | null;

  @Field(() => String, { nullable: true })
  note!: string | null;
}

@ObjectType()
export class PairwiseResultType {
  @Field(() => EffectFactorEnum)
  factor!: EffectFactorEnum;

  @Field(() => EffectFactorEnum, { nullable: true })
  within!: EffectFactorEnum | null;

  @Field(() => Float)
  confidence!: number;

  @Field(() => String)
  adjustment!: string;

  @Field(() => [PairwiseComparisonType])
  comparisons!: PairwiseComparisonType[];
}

@ObjectType()
export class EffectObservation {
  @Field(() => ID)
  runId!: string;

  @Field(() => String)
  runKey!: string;

  @Field(() => String, { nullable: true, description: 'Set when TOPIC is a factor' })
  topic!: string | null;

  @Field(() => Float)
  y!: number;
}

@ObjectType()
export class ExcludedRun {
  @Field(() => ID)
  runId!: string;

  @Field(() => String)
  runKey!: string;

  @Field(() => String)
  reason!: string;
}

@ObjectType({ description: 'ANOVA of a per-run outcome over algorithm, data and other factors' })
export class EffectDecomposition {
  @Field(() => OutcomeEnum)
  outcome!: OutcomeEnum;

  @Field(() => StanceEnum)
  stance!: StanceEnum;

  @Field(() => StageKindEnum)
  stageKind!: StageKindEnum;

  @Field(() => SumOfSquaresEnum)
  sumOfSquares!: SumOfSquaresEnum;

  @Field(() => [EffectFactorEnum])
  factors!: EffectFactorEnum[];

  @Field(() => Int, { description: 'Observations in the model' })
  n!: number;

  @Field(() => [AnovaTermType])
  terms!: AnovaTermType[];

  @Field(() => AnovaResidualType)
  residual!: AnovaResidualType;

  @Field(() => Float, { description: 'Σ(y − ȳ)²' })
  totalSumSq!: number;

  @Field(() => [EffectCell])
  cells!: EffectCell[];

  @Field(() => [MarginalMean])
  marginalMeans!: MarginalMean[];

  @Field(() => PairwiseResultType, { nullable: true })
  pairwise!: PairwiseResultType | null;

  @Field(() => [EffectObservation], { description: 'The outcome of each run (or run and topic) that entered the model' })
  observations!: EffectObservation[];

  @Field(() => [ExcludedRun], { description: 'Selected runs left out, with the reason' })
  excludedRuns!: ExcludedRun[];

  @Field(() => String, { nullable: true, description: 'Why numbers are missing or reduced (no residual df, aliased terms)' })
  note!: string | null;
}
