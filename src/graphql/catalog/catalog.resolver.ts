import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { Max, Min, ValidateNested } from 'class-validator';
import type { RunRow } from '../../services/catalog.service';
import { NotFoundError, UserInputError } from '../../errors';
import { LIMITS } from '../../services/limits';
import { decodeCursor, encodeCursor } from '../common/connection';
import type { Context } from '../context';
import { Dataset, Run, RunConnection, RunFilter, Stage, Topic } from './catalog.types';

const MAX_PAGE = LIMITS.page;

@ArgsType()
class RunsArgs {
  @Field(() => RunFilter, { nullable: true })
  @ValidateNested()
  filter?: RunFilter;

  @Field(() => Int, { defaultValue: 50, description: `Page size, 1 to ${MAX_PAGE}` })
  @Min(1, { message: 'first must be at least 1' })
  @Max(MAX_PAGE, { message: `first must be at most ${MAX_PAGE}; page with after` })
  first!: number;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  after?: string;
}

@ArgsType()
class TopicsArgs {
  @Field(() => RunFilter, { nullable: true, description: 'Omitted: topics of every run' })
  @ValidateNested()
  runFilter?: RunFilter;
}

function toRun(r: RunRow, latest: boolean): Run {
  return {
    id: String(r.id),
    key: r.key,
    model: r.model,
    seed: r.seed,
    metadata: r.metadata,
    dataset: { id: String(r.datasetId), name: r.datasetName, lab: r.lab, version: r.datasetVersion, latest },
    stages: [], // resolved by the stages field resolver, batched per request
  };
}

@Resolver(() => Run)
export class CatalogResolver {
  @Query(() => [Dataset], { description: 'Every ingested bundle' })
  async datasets(@Ctx() ctx: Context): Promise<Dataset[]> {
    const rows = await ctx.catalog.datasets();
    return Promise.all(rows.map(async (d) => ({ ...d, id: String(d.id), latest: await ctx.catalog.isLatest(d.id) })));
  }

  @Query(() => RunConnection, {
    description: 'Runs, filtered and paged (Relay connection, ordered by id)',
  })
  async runs(@Args(() => RunsArgs) { filter, first, after }: RunsArgs, @Ctx() ctx: Context): Promise<RunConnection> {
    let offset = 0;
    if (after != null) {
      const decoded = decodeCursor(after);
      if (decoded === null)
        throw new UserInputError('after is not a cursor from this API; pass pageInfo.endCursor of the previous page', 'after');
      offset = decoded + 1;
    }
    const { rows, total } = await ctx.catalog.runs(filter ?? {}, offset, first);
    const nodes = await Promise.all(rows.map(async (r) => toRun(r, await ctx.catalog.isLatest(r.datasetId))));
    const edges = nodes.map((node, i) => ({ node, cursor: encodeCursor(offset + i) }));
    return {
      edges,
      nodes,
      totalCount: total,
      pageInfo: {
        hasNextPage: offset + rows.length < total,
        hasPreviousPage: offset > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    };
  }

  @Query(() => Run, { description: 'One run by id (or by manifest run key when that names one run)' })
  async run(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Run> {
    const [runId] = await ctx.catalog.resolveRunIds([id]);
    const [row] = await ctx.catalog.runsById([runId as number]);
    if (!row) throw new NotFoundError(`no run with id "${id}"`);
    return toRun(row, await ctx.catalog.isLatest(row.datasetId));
  }

  @Query(() => [Topic], { description: 'Topics with data, optionally only those of the runs a filter selects' })
  topics(@Args(() => TopicsArgs) { runFilter }: TopicsArgs, @Ctx() ctx: Context): Promise<Topic[]> {
    return ctx.catalog.topics(runFilter ?? null);
  }

  @FieldResolver(() => [Stage])
  stages(@Root() run: Run, @Ctx() ctx: Context): Promise<Stage[]> {
    return ctx.loaders.stages.load(Number(run.id));
  }
}
