import { ArrayUnique, ValidateBy, ValidateNested, type ValidationArguments } from 'class-validator';
import { Field, Float, ID, InputType } from 'type-graphql';
import { DEFAULT_CONFIDENCE } from '../../analytics';
import { DEFAULT_EFFECT_FACTORS } from '../../services/effects.service';
import { LIMITS } from '../../services/limits';
import { RunFilter } from '../catalog/catalog.types';
import { DriftEndpoint, EffectFactor, Outcome, StageKind, Stance, SumOfSquares } from '../common/enums';
import { BoundedList, IsConfidence } from '../common/validators';

@InputType({ description: 'Pairwise Welch comparisons of the levels of one factor, within each level of another' })
export class PairwiseInput {
  @Field(() => EffectFactor)
  factor!: EffectFactor;

  @Field(() => EffectFactor, {
    nullable: true,
    description: 'Compare within each level of this factor (e.g. DATASET: "does the algorithm matter when the data is held constant?")',
  })
  within?: EffectFactor;
}

/** pairwise.factor and pairwise.within must be among the model's factors, and differ. */
function PairwiseAmongFactors(): PropertyDecorator {
  const problem = (args: ValidationArguments): string | null => {
    const pairwise = args.value as PairwiseInput | undefined;
    if (!pairwise) return null;
    const factors = (args.object as EffectDecompositionInput).factors ?? DEFAULT_EFFECT_FACTORS;
    for (const f of [pairwise.factor, pairwise.within]) {
      if (f && !factors.includes(f)) return `pairwise uses ${f}, which is not among the factors (${factors.join(', ')}); add it to factors`;
    }
    if (pairwise.within === pairwise.factor) return 'pairwise.within must differ from pairwise.factor';
    return null;
  };
  return ValidateBy({
    name: 'pairwiseAmongFactors',
    validator: { validate: (_v, args) => problem(args!) === null, defaultMessage: (args) => problem(args!) ?? '' },
  });
}

@InputType()
export class EffectDecompositionInput {
  @Field(() => Outcome)
  outcome!: Outcome;

  @Field(() => Stance)
  stance!: Stance;

  @Field(() => StageKind, { defaultValue: StageKind.PREFERENCE, description: 'The run’s last stage of this kind is analysed' })
  stageKind!: StageKind;

  @Field(() => [String], {
    nullable: true,
    description: `Topics averaged into each run’s outcome (each weighs the same), at most ${LIMITS.topics}; omitted means all`,
  })
  @BoundedList(LIMITS.topics)
  topics?: string[];

  @Field(() => [EffectFactor], {
    nullable: true,
    description: `Factors in model order (matters for TYPE_I), each once; omitted means [${DEFAULT_EFFECT_FACTORS.join(', ')}]`,
  })
  @BoundedList(Object.keys(EffectFactor).length)
  @ArrayUnique({ message: 'factors lists a factor twice; list each factor once' })
  factors?: EffectFactor[];

  @Field(() => Boolean, { defaultValue: true, description: 'All interactions of the factors (A*B), or main effects only (A+B)' })
  interactions!: boolean;

  @Field(() => SumOfSquares, { defaultValue: SumOfSquares.TYPE_II })
  sumOfSquares!: SumOfSquares;

  @Field(() => RunFilter, { nullable: true, description: 'Omitted: every run' })
  @ValidateNested()
  runFilter?: RunFilter;

  @Field(() => [ID], { nullable: true, description: `Run ids, at most ${LIMITS.runIdsPerQuery}; with runFilter, the intersection` })
  @BoundedList(LIMITS.runIdsPerQuery, 'use runFilter to select more runs')
  runIds?: string[];

  @Field(() => DriftEndpoint, { defaultValue: DriftEndpoint.LAST, description: 'Endpoint of DRIFT_MAGNITUDE' })
  endpoint!: DriftEndpoint;

  @Field(() => Float, { defaultValue: DEFAULT_CONFIDENCE, description: 'Confidence level of drift times and pairwise intervals' })
  @IsConfidence()
  confidence!: number;

  @Field(() => PairwiseInput, { nullable: true })
  @PairwiseAmongFactors()
  pairwise?: PairwiseInput;
}
