import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../common/connection';
import { LIMITS } from '../../services/limits';
import { DatasetVersions, StageKind, Visibility } from '../common/enums';
import { BoundedList } from '../common/validators';

@ObjectType({ description: 'A lab that published drift traces' })
export class Lab {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType({ description: 'Dataset summary carried by a run' })
export class RunDataset {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  lab!: string;

  @Field(() => String)
  version!: string;

  @Field(() => Boolean, { description: 'Whether this is the latest version of the lab’s dataset (that the caller can see)' })
  latest!: boolean;
}

@ObjectType({ description: 'One ingested drift-trace/v1 bundle' })
export class Dataset extends RunDataset {
  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String, { nullable: true })
  license!: string | null;

  @Field(() => String, { nullable: true })
  promptSet!: string | null;

  @Field(() => String, { nullable: true })
  judge!: string | null;

  @Field(() => Visibility)
  visibility!: Visibility;

  @Field(() => String, { description: 'sha256 of the manifest and observation files' })
  contentHash!: string;

  @Field(() => String, { description: 'ISO-8601 time of ingest (UTC)' })
  ingestedAt!: string;

  @Field(() => Int)
  runCount!: number;

  @Field(() => Int)
  observationCount!: number;
}

@ObjectType({ description: 'A post-training stage of a run, in training order' })
export class Stage {
  @Field(() => String)
  name!: string;

  @Field(() => StageKind)
  kind!: StageKind;

  @Field(() => Int, { description: 'Position in the run, from 0' })
  ordinal!: number;

  @Field(() => String, { nullable: true })
  algorithm!: string | null;

  @Field(() => String, { nullable: true, description: 'Training data of this stage' })
  dataset!: string | null;

  @Field(() => Int, { nullable: true })
  totalSteps!: number | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  hyperparameters!: Record<string, unknown> | null;

  @Field(() => [Int], { description: 'Evaluated steps of this stage, ascending' })
  evaluatedSteps!: number[];
}

@ObjectType({ description: 'One training run: a base model taken through its stages' })
export class Run {
  @Field(() => ID, { description: 'Unique across datasets; use it in analytic queries' })
  id!: string;

  @Field(() => String, { description: 'The run id from the manifest (unique within its dataset only)' })
  key!: string;

  @Field(() => RunDataset)
  dataset!: RunDataset;

  @Field(() => String)
  model!: string;

  @Field(() => Float, { nullable: true, description: 'Training seed (a whole number; Float because seeds often exceed 32 bits)' })
  seed!: number | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Other run fields from the manifest' })
  metadata!: Record<string, unknown> | null;

  @Field(() => [Stage])
  stages!: Stage[];
}

@ObjectType()
export class RunEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Run)
  node!: Run;
}

@ObjectType({ description: 'Relay connection of runs' })
export class RunConnection {
  @Field(() => [RunEdge])
  edges!: RunEdge[];

  @Field(() => [Run])
  nodes!: Run[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@InputType({
  description:
    'Selects runs. Each field takes one value or a list (any of them matches); fields combine with AND. ' +
    'algorithm, stageDataset and stageKind match any stage of the run.',
})
export class RunFilter {
  @Field(() => [String], { nullable: true, description: 'Lab name' })
  @BoundedList(LIMITS.filterValues)
  lab?: string[];

  @Field(() => [String], { nullable: true, description: 'Dataset (bundle) name' })
  @BoundedList(LIMITS.filterValues)
  dataset?: string[];

  @Field(() => [String], { nullable: true })
  @BoundedList(LIMITS.filterValues)
  model?: string[];

  @Field(() => [String], { nullable: true, description: 'Algorithm of any stage (sft, ppo, dpo, ...)' })
  @BoundedList(LIMITS.filterValues)
  algorithm?: string[];

  @Field(() => [String], { nullable: true, description: 'Training data of any stage' })
  @BoundedList(LIMITS.filterValues)
  stageDataset?: string[];

  @Field(() => [StageKind], { nullable: true, description: 'Runs having a stage of this kind' })
  @BoundedList(LIMITS.filterValues)
  stageKind?: StageKind[];

  @Field(() => [String], { nullable: true, description: 'Manifest run ids' })
  @BoundedList(LIMITS.runIdsPerQuery)
  key?: string[];

  @Field(() => [String], { nullable: true, description: 'Dataset versions; naming any reads those versions instead of only the latest' })
  @BoundedList(LIMITS.filterValues)
  datasetVersion?: string[];

  @Field(() => DatasetVersions, {
    defaultValue: DatasetVersions.LATEST,
    description: 'LATEST reads only the latest version of each lab’s dataset, so a new version replaces the old in every answer',
  })
  versions!: DatasetVersions;
}

@ObjectType({ description: 'A value-laden topic with the number of prompts behind it' })
export class Topic {
  @Field(() => String)
  name!: string;

  @Field(() => Int)
  promptCount!: number;

  @Field(() => Int)
  runCount!: number;
}
