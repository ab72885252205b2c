import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { IngestJobStatus } from '../common/enums';

@ObjectType({ description: 'What an ingest job is doing now' })
export class IngestJobProgress {
  @Field(() => String, { description: 'queued, reading, diagnosing, writing, aggregating, committing, done or failed' })
  phase!: string;

  @Field(() => Int, { nullable: true, description: 'Rows read or written so far, when known' })
  rows!: number | null;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'One thing wrong with an uploaded bundle, located as a local ingest locates it' })
export class IngestProblem {
  @Field(() => String)
  file!: string;

  @Field(() => Int, { nullable: true, description: '1-based line (CSV counts its header), or row for Parquet' })
  line!: number | null;

  @Field(() => String, { nullable: true })
  field!: string | null;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'The ingest of an uploaded bundle (POST /api/v1/bundles)' })
export class IngestJob {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  lab!: string;

  @Field(() => String)
  dataset!: string;

  @Field(() => String)
  version!: string;

  @Field(() => IngestJobStatus)
  status!: IngestJobStatus;

  @Field(() => Boolean)
  replace!: boolean;

  @Field(() => Boolean)
  dryRun!: boolean;

  @Field(() => IngestJobProgress)
  progress!: IngestJobProgress;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'What was ingested (counts, status), once succeeded' })
  result!: Record<string, unknown> | null;

  @Field(() => [IngestProblem], { description: 'Why a bundle was refused (at most 20 listed)' })
  problems!: IngestProblem[];

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => String)
  createdAt!: string;

  @Field(() => String, { nullable: true })
  startedAt!: string | null;

  @Field(() => String, { nullable: true })
  finishedAt!: string | null;
}
