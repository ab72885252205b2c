import { Arg, Query, Resolver } from 'type-graphql';
import type { RunSelector } from '../../services/catalog.service';
import { EffectsService, type EffectFactor, type Outcome } from '../../services/effects.service';
import type { Stance, StageKind } from '../../domain';
import type { SumOfSquaresType } from '../../analytics';
import { EffectDecomposition, EffectDecompositionInput, type EffectFactorEnum, type SumOfSquaresEnum } from './effects.types';

@Resolver()
export class EffectsResolver {
  constructor(private readonly effects: EffectsService) {}

  @Query(() => EffectDecomposition, {
    description: 'How much of the drift the algorithm, the data and their interaction explain (ANOVA, matching R)',
  })
  async effectDecomposition(@Arg('input', () => EffectDecompositionInput) input: EffectDecompositionInput): Promise<EffectDecomposition> {
    const r = await this.effects.decompose({
      outcome: input.outcome as Outcome,
      stance: input.stance as Stance,
      stageKind: input.stageKind as StageKind,
      topics: input.topics ?? null,
      factors: (input.factors as EffectFactor[] | undefined) ?? null,
      interactions: input.interactions,
      sumOfSquares: input.sumOfSquares as SumOfSquaresType,
      runFilter: (input.runFilter as RunSelector | undefined) ?? null,
      runIds: input.runIds ?? null,
      endpoint: input.endpoint,
      confidence: input.confidence,
      pairwise: input.pairwise
        ? { factor: input.pairwise.factor as EffectFactor, within: (input.pairwise.within as EffectFactor | undefined) ?? null }
        : null,
    });
    return {
      ...r,
      outcome: input.outcome,
      stance: input.stance,
      stageKind: input.stageKind,
      sumOfSquares: r.type as SumOfSquaresEnum,
      factors: r.factorNames as EffectFactorEnum[],
      terms: r.terms.map((t) => ({ ...t })),
      cells: r.cells.map((c) => ({
        count: c.count,
        mean: c.mean,
        levels: Object.entries(c.levels).map(([factor, level]) => ({ factor: factor as EffectFactorEnum, level })),
      })),
      marginalMeans: r.marginalMeans.map((m) => ({ ...m, factor: m.factor as EffectFactorEnum })),
      pairwise: r.pairwise
        ? { ...r.pairwise, factor: r.pairwise.factor as EffectFactorEnum, within: r.pairwise.within as EffectFactorEnum | null }
        : null,
    };
  }
}
