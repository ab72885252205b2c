import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { EffectsService } from '../../services/effects.service';
import { EffectDecompositionInput } from './effects.args';
import { EffectDecomposition } from './effects.types';

@Resolver()
export class EffectsResolver {
  constructor(private readonly effects: EffectsService) {}

  @Query(() => EffectDecomposition, {
    description: 'How much of the drift the algorithm, the data and their interaction explain (ANOVA, matching R)',
  })
  async effectDecomposition(
    @Arg('input', () => EffectDecompositionInput) input: EffectDecompositionInput,
    @Ctx() ctx: Context,
  ): Promise<EffectDecomposition> {
    const r = await this.effects.decompose(ctx.scope, { ...input, pairwise: input.pairwise ?? null });
    return {
      ...r,
      sumOfSquares: r.type,
      factors: [...r.factorNames],
      cells: r.cells.map(({ levels, ...c }) => ({
        ...c,
        levels: r.factorNames.map((factor) => ({ factor, level: levels[factor]! })),
      })),
    };
  }
}
