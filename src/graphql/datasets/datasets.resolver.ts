import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { DatasetService } from '../../services/datasets.service';
import { Dataset } from '../catalog/catalog.types';
import { Visibility } from '../common/enums';
import type { Context } from '../context';

/** Dataset lifecycle on a running server: a writer of the dataset's lab, or an admin. */
@Resolver()
export class DatasetsResolver {
  constructor(private readonly datasets: DatasetService) {}

  @Mutation(() => Dataset, {
    description: 'Delete a dataset version and everything derived from it (writer of its lab, or admin); returns what was deleted',
  })
  async deleteDataset(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Dataset> {
    const row = await this.datasets.delete(ctx.principal, Number(id));
    return { ...row, id: String(row.id), latest: false };
  }

  @Mutation(() => Dataset, { description: 'Make a dataset version public or private (writer of its lab, or admin)' })
  async setDatasetVisibility(
    @Arg('id', () => ID) id: string,
    @Arg('visibility', () => Visibility) visibility: Visibility,
    @Ctx() ctx: Context,
  ): Promise<Dataset> {
    const row = await this.datasets.setVisibility(ctx.principal, Number(id), visibility);
    return { ...row, id: String(row.id), latest: await ctx.catalog.isLatest(row.id) };
  }
}
