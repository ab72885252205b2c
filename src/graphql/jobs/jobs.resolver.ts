import { Max, Min } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Field, ID, Int, Query, Resolver } from 'type-graphql';
import { NotFoundError } from '../../errors';
import { canSeeJob, JobService, type IngestJob as Job } from '../../upload/jobs';
import type { Context } from '../context';
import { IngestJobStatus } from '../common/enums';
import { IngestJob } from './jobs.types';

@ArgsType()
class IngestJobsArgs {
  @Field(() => String, { nullable: true, description: 'Only this lab’s jobs (other labs’ jobs are visible to admin keys only)' })
  lab?: string;

  @Field(() => IngestJobStatus, { nullable: true })
  status?: IngestJobStatus;

  @Field(() => Int, { defaultValue: 20, description: 'Newest first, 1 to 100' })
  @Min(1, { message: 'first must be at least 1' })
  @Max(100, { message: 'first must be at most 100' })
  first!: number;
}

const toType = (j: Job): IngestJob => ({
  ...j,
  result: j.result as unknown as Record<string, unknown> | null,
  problems: j.problems.map((p) => ({ file: p.file, line: p.line ?? null, field: p.field ?? null, message: p.message })),
});

/** Ingest jobs of uploads: a key sees its lab's jobs, an admin every job, anonymous callers none. */
@Resolver()
export class JobsResolver {
  constructor(private readonly jobs: JobService) {}

  @Query(() => IngestJob, { description: 'One ingest job by id (as returned by POST /api/v1/bundles)' })
  async ingestJob(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<IngestJob> {
    const job = await this.jobs.get(id);
    if (!job || !canSeeJob(ctx.principal, job)) throw new NotFoundError(`no ingest job with id "${id}"`, 'id');
    return toType(job);
  }

  @Query(() => [IngestJob], { description: 'Recent ingest jobs the caller may see, newest first' })
  async ingestJobs(@Args(() => IngestJobsArgs) { lab, status, first }: IngestJobsArgs, @Ctx() ctx: Context): Promise<IngestJob[]> {
    const p = ctx.principal;
    if (p.kind === 'anonymous') return [];
    const own = p.role === 'admin' ? lab : p.lab;
    if (p.role !== 'admin' && lab !== undefined && lab !== p.lab) return [];
    const jobs = await this.jobs.list({ lab: own, status, limit: first });
    return jobs.filter((j) => canSeeJob(p, j)).map(toType);
  }
}
