/**
 * Catalogue and fact tables, declared with drizzle's pg-core (DuckDB speaks close enough to
 * Postgres for the DDL drizzle-kit emits from these).
 *
 * Ids are plain integers assigned by the single writer (see ingest/load.ts), not sequences:
 * drizzle-kit's sequence DDL carries Postgres-only clauses, and one writer per file makes
 * max(id)+1 safe. Fact tables have no primary key or foreign keys on purpose: DuckDB enforces
 * them with ART indexes that slow bulk loads several-fold; ingest validates uniqueness itself.
 * Likewise no secondary indexes: facts are inserted sorted by run, so DuckDB's min/max zone maps
 * already skip to a run's rows, and the catalogue is small. Uniqueness of (lab, name, version),
 * run keys and stage names is checked by ingest before anything is written.
 */
import { bigint, boolean, doublePrecision, integer, json, pgTable, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import type { IngestJobStatus, Role, StageKind, Visibility } from '../domain';

export const labs = pgTable('labs', {
  id: integer('id').primaryKey(),
  name: text('name').notNull().unique(),
});

export const datasets = pgTable('datasets', {
  id: integer('id').primaryKey(),
  labId: integer('lab_id').notNull(),
  name: text('name').notNull(),
  version: text('version').notNull(),
  description: text('description'),
  license: text('license'),
  promptSet: text('prompt_set'),
  judge: text('judge'),
  visibility: text('visibility').$type<Visibility>().notNull(),
  contentHash: text('content_hash').notNull(),
  ingestedAt: timestamp('ingested_at').notNull(),
  observationCount: bigint('observation_count', { mode: 'number' }).notNull(),
  manifest: json('manifest').notNull(),
});

export const runs = pgTable('runs', {
  id: integer('id').primaryKey(),
  datasetId: integer('dataset_id').notNull(),
  key: text('key').notNull(),
  model: text('model').notNull(),
  seed: bigint('seed', { mode: 'number' }),
  metadata: json('metadata'),
});

export const stages = pgTable('stages', {
  id: integer('id').primaryKey(),
  runId: integer('run_id').notNull(),
  ordinal: smallint('ordinal').notNull(),
  name: text('name').notNull(),
  kind: text('kind').$type<StageKind>().notNull(),
  algorithm: text('algorithm'),
  dataset: text('dataset'),
  totalSteps: integer('total_steps'),
  hyperparameters: json('hyperparameters'),
});

export const topics = pgTable('topics', {
  id: integer('id').primaryKey(),
  name: text('name').notNull().unique(),
});

export const prompts = pgTable('prompts', {
  id: integer('id').primaryKey(),
  datasetId: integer('dataset_id').notNull(),
  topicId: integer('topic_id').notNull(),
  key: text('key').notNull(),
});

/** One judged answer: generation-level stance probabilities. */
export const observations = pgTable('observations', {
  runId: integer('run_id').notNull(),
  stageId: integer('stage_id').notNull(),
  step: integer('step').notNull(),
  topicId: integer('topic_id').notNull(),
  promptId: integer('prompt_id').notNull(),
  generation: integer('generation').notNull(),
  pSupport: doublePrecision('p_support').notNull(),
  pNeutral: doublePrecision('p_neutral').notNull(),
  pOppose: doublePrecision('p_oppose').notNull(),
});

/** README Metrics.1: the mean over a prompt's generations at one checkpoint. */
export const promptMeans = pgTable('prompt_means', {
  runId: integer('run_id').notNull(),
  stageId: integer('stage_id').notNull(),
  step: integer('step').notNull(),
  topicId: integer('topic_id').notNull(),
  promptId: integer('prompt_id').notNull(),
  generations: integer('generations').notNull(),
  mSupport: doublePrecision('m_support').notNull(),
  mNeutral: doublePrecision('m_neutral').notNull(),
  mOppose: doublePrecision('m_oppose').notNull(),
});

/**
 * README Metrics.2: per checkpoint and topic, the value (mean of prompt means) and the sample sd of
 * the prompt means, so any confidence level's half-width is one t quantile away.
 */
export const checkpointValues = pgTable('checkpoint_values', {
  runId: integer('run_id').notNull(),
  stageId: integer('stage_id').notNull(),
  step: integer('step').notNull(),
  topicId: integer('topic_id').notNull(),
  prompts: integer('prompts').notNull(),
  vSupport: doublePrecision('v_support').notNull(),
  vNeutral: doublePrecision('v_neutral').notNull(),
  vOppose: doublePrecision('v_oppose').notNull(),
  sdSupport: doublePrecision('sd_support'),
  sdNeutral: doublePrecision('sd_neutral'),
  sdOppose: doublePrecision('sd_oppose'),
});

/** Bumped by every ingest; result caches key on it. */
export const meta = pgTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/**
 * API keys. Only the sha256 of a key is stored; `prefix` (the key's first characters) lets
 * people tell their keys apart in listings. A key belongs to a lab by name, so a lab can have
 * keys before it has data.
 */
export const apiKeys = pgTable('api_keys', {
  id: integer('id').primaryKey(),
  lab: text('lab').notNull(),
  role: text('role').$type<Role>().notNull(),
  name: text('name'),
  prefix: text('prefix').notNull(),
  hash: text('hash').notNull().unique(),
  createdAt: timestamp('created_at').notNull(),
  revokedAt: timestamp('revoked_at'),
});

export type { IngestJobStatus } from '../domain';

/**
 * Bundles uploaded to a running server, ingested one at a time in order of arrival. `progress`
 * is `{phase, rows, message}`; `result` the ingest's result; `problems` the bundle's problems
 * (file, line, field, message) when it was refused. `work_dir` is the unpacked upload, removed
 * when the job ends (or at the next start, for a job a restart interrupted).
 */
export const ingestJobs = pgTable('ingest_jobs', {
  id: text('id').primaryKey(),
  lab: text('lab').notNull(),
  dataset: text('dataset').notNull(),
  version: text('version').notNull(),
  keyId: integer('key_id'),
  status: text('status').$type<IngestJobStatus>().notNull(),
  replace: boolean('replace').notNull(),
  dryRun: boolean('dry_run').notNull(),
  progress: json('progress'),
  result: json('result'),
  problems: json('problems'),
  error: text('error'),
  workDir: text('work_dir'),
  /**
   * The process that runs the job (cluster mode: the replica's id). A job whose replica stopped
   * is failed by another replica; in embedded mode there is one process and this stays null.
   */
  owner: text('owner'),
  createdAt: timestamp('created_at').notNull(),
  startedAt: timestamp('started_at'),
  finishedAt: timestamp('finished_at'),
});

/**
 * The outcome of an upload job whose ingest committed, written by the ingest's own transaction:
 * the data and this row become durable together or not at all. A job that a crash interrupted
 * after its commit (before its `ingest_jobs` row said so) is finished from this row at the next
 * start, instead of being reported as failed while its data is visible.
 */
export const ingestOutcomes = pgTable('ingest_outcomes', {
  jobId: text('job_id').primaryKey(),
  result: json('result').notNull(),
  committedAt: timestamp('committed_at').notNull(),
});

/**
 * Cluster mode: the Parquet files of the lake (DRIFT_LAKE) that hold each dataset version's
 * facts. A row is added by the catalogue transaction that publishes the version, after the file
 * is complete under its final name; `retired_at` is set when the version is deleted or replaced,
 * and the sweep removes the file a grace period later (replicas may still read it until they
 * hear of the change). A file in the lake without a row here was never published. Unused in
 * embedded mode.
 */
export const lakeFiles = pgTable('lake_files', {
  path: text('path').primaryKey(),
  datasetId: integer('dataset_id').notNull(),
  /** observations, prompt_means or checkpoint_values. */
  tableName: text('table_name').notNull(),
  rows: bigint('rows', { mode: 'number' }).notNull(),
  bytes: bigint('bytes', { mode: 'number' }).notNull(),
  publishedAt: timestamp('published_at').notNull(),
  retiredAt: timestamp('retired_at'),
});
