import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { EffectFactor, Outcome, StageKind, Stance, SumOfSquares } from '../common/enums';

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
  @Field(() => EffectFactor)
  factor!: EffectFactor;

  @Field(() => String)
  level!: string;
}

/** Mean of a group of observations, with their spread (README Metrics 3 applied to them). */
@ObjectType()
abstract class MeanWithSpread {
  @Field(() => Int)
  count!: number;

  @Field(() => Float)
  mean!: number;

  @Field(() => Float, { nullable: true, description: 'Sample sd of the observations; null when count < 2' })
  sd!: number | null;

  @Field(() => Float, { nullable: true, description: 'Standard error of the mean, sd/√count; null when count < 2' })
  se!: number | null;

  @Field(() => Float, {
    description: 'Lower end of the t interval at `confidence`: mean − t_{(1+γ)/2, count−1}·se (the mean itself when count < 2)',
  })
  ciLow!: number;

  @Field(() => Float, { description: 'Upper end of the same interval' })
  ciHigh!: number;
}

@ObjectType({ description: 'A combination of factor levels with observations' })
export class EffectCell extends MeanWithSpread {
  @Field(() => [FactorLevel])
  levels!: FactorLevel[];
}

@ObjectType({ description: 'Mean of the observations at one level of one factor (a raw mean, not a model estimate)' })
export class MarginalMean extends MeanWithSpread {
  @Field(() => EffectFactor)
  factor!: EffectFactor;

  @Field(() => String)
  level!: string;
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
  @Field(() => EffectFactor)
  factor!: EffectFactor;

  @Field(() => EffectFactor, { nullable: true })
  within!: EffectFactor | null;

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
  @Field(() => Outcome)
  outcome!: Outcome;

  @Field(() => Stance)
  stance!: Stance;

  @Field(() => StageKind)
  stageKind!: StageKind;

  @Field(() => SumOfSquares)
  sumOfSquares!: SumOfSquares;

  @Field(() => [EffectFactor])
  factors!: EffectFactor[];

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
