/**
 * Ingest of one drift-trace/v1 bundle: all or nothing. Files are staged and validated in temp
 * tables first; only a valid bundle opens the write transaction, and any failure inside it rolls
 * back, so a refused bundle leaves the database exactly as it was.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { eq, and } from 'drizzle-orm';
import { queryOn, type DriftDb } from '../db/client';
import { datasets, labs, prompts, runs, stages, topics } from '../db/schema';
import { sqlString } from '../db/sql';
import { bumpDataVersion } from '../db/version';
import { ConflictError } from './errors';
import { readManifest, type Manifest } from './manifest';
import { STAGING, stageFiles } from './stage';
import { MANIFEST_STAGES, STANCE_MAP, TYPED, validate } from './validate';

export interface IngestOptions {
  /** Replace an already-loaded dataset with the same lab, name and version but other content. */
  replace?: boolean;
  progress?: (message: string) => void;
}

export interface IngestResult {
  status: 'ingested' | 'replaced' | 'unchanged';
  lab: string;
  dataset: string;
  version: string;
  datasetId: number;
  runs: number;
  topics: number;
  prompts: number;
  observations: number;
  files: number;
  contentHash: string;
  seconds: number;
}

/** sha256 over the manifest and every listed file, streamed. */
async function contentHash(dir: string, manifest: Manifest): Promise<string> {
  const h = crypto.createHash('sha256');
  h.update(fs.readFileSync(path.join(path.resolve(dir), 'manifest.json')));
  for (const f of manifest.files) {
    h.update(`\0${f.path}\0`);
    await new Promise<void>((resolve, reject) => {
      fs.createReadStream(f.absPath)
        .on('data', (chunk) => h.update(chunk))
        .on('end', resolve)
        .on('error', reject);
    });
  }
  return h.digest('hex');
}

async function nextId(conn: DuckDBConnection, table: string): Promise<number> {
  return Number((await queryOn(conn, `SELECT coalesce(max(id), 0) + 1 AS id FROM ${table}`))[0]?.id);
}

async function dropTemps(conn: DuckDBConnection): Promise<void> {
  for (const t of [STAGING, TYPED, MANIFEST_STAGES, STANCE_MAP, 'ingest_ids']) await conn.run(`DROP TABLE IF EXISTS ${t}`);
}

export async function ingestBundle(db: DriftDb, dir: string, opts: IngestOptions = {}): Promise<IngestResult> {
  const started = Date.now();
  const progress = opts.progress ?? (() => undefined);
  const manifest = readManifest(dir);
  const hash = await contentHash(dir, manifest);
  const { lab, name, version } = manifest.dataset;
  const base = { lab, dataset: name, version, contentHash: hash, files: manifest.files.length };

  const existing = (
    await db.orm
      .select({ id: datasets.id, hash: datasets.contentHash, observations: datasets.observationCount })
      .from(datasets)
      .innerJoin(labs, eq(labs.id, datasets.labId))
      .where(and(eq(labs.name, lab), eq(datasets.name, name), eq(datasets.version, version)))
  )[0];
  if (existing && existing.hash === hash) {
    const [counts] = await db.query(
      `SELECT count(*) AS runs FROM runs WHERE dataset_id = $1`,
      [existing.id],
    );
    return {
      ...base,
      status: 'unchanged',
      datasetId: existing.id,
      runs: Number(counts?.runs ?? 0),
      topics: 0,
      prompts: 0,
      observations: existing.observations,
      seconds: (Date.now() - started) / 1000,
    };
  }
  if (existing && !opts.replace) {
    throw new ConflictError(
      `${lab}/${name} version ${version} is already loaded with different content; ` +
        `bump dataset.version in manifest.json to keep both, or pass --replace to overwrite it`,
    );
  }

  return db.withWriter(async (conn) => {
    try {
      const staged = await stageFiles(conn, manifest.files, progress);
      const total = staged.reduce((a, f) => a + f.rows, 0);
      progress(`validating ${total.toLocaleString('en-US')} rows`);
      const observations = await validate(conn, manifest, staged);

      progress('writing');
      await conn.run('BEGIN TRANSACTION');
      try {
        const result = await write(db, conn, manifest, hash, observations, existing?.id, progress);
        await conn.run('COMMIT');
        return { ...base, ...result, status: existing ? 'replaced' : 'ingested', seconds: (Date.now() - started) / 1000 } as IngestResult;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      await dropTemps(conn);
    }
  });
}

async function write(
  db: DriftDb,
  conn: DuckDBConnection,
  manifest: Manifest,
  hash: string,
  observationCount: number,
  replaceId: number | undefined,
  progress: (m: string) => void,
): Promise<Pick<IngestResult, 'datasetId' | 'runs' | 'topics' | 'prompts' | 'observations'>> {
  const orm = db.ormOn(conn);
  // Ids are taken before any delete so a replaced dataset's ids are never reused in this transaction.
  const datasetId = await nextId(conn, 'datasets');
  let runId = await nextId(conn, 'runs');
  let stageId = await nextId(conn, 'stages');
  const promptBase = await nextId(conn, 'prompts');

  if (replaceId !== undefined) {
    progress(`removing the previous content of dataset ${replaceId}`);
    const runIds = `SELECT id FROM runs WHERE dataset_id = ${replaceId}`;
    for (const t of ['observations', 'prompt_means', 'checkpoint_values', 'stages']) {
      await conn.run(`DELETE FROM ${t} WHERE run_id IN (${runIds})`);
    }
    await conn.run(`DELETE FROM runs WHERE dataset_id = ${replaceId}`);
    await conn.run(`DELETE FROM prompts WHERE dataset_id = ${replaceId}`);
    await conn.run(`DELETE FROM datasets WHERE id = ${replaceId}`);
  }

  const d = manifest.dataset;
  let labId = (await orm.select({ id: labs.id }).from(labs).where(eq(labs.name, d.lab)))[0]?.id;
  if (labId === undefined) {
    labId = await nextId(conn, 'labs');
    await orm.insert(labs).values({ id: labId, name: d.lab });
  }
  await orm.insert(datasets).values({
    id: datasetId,
    labId,
    name: d.name,
    version: d.version,
    description: d.description,
    license: d.license,
    promptSet: d.promptSet,
    judge: d.judge,
    visibility: d.visibility,
    contentHash: hash,
    ingestedAt: new Date(),
    observationCount,
    manifest: manifest.raw,
  });

  const firstRun = runId;
  const idRows: string[] = [];
  const runValues = [];
  const stageValues = [];
  for (const r of manifest.runs) {
    const rid = runId++;
    runValues.push({ id: rid, datasetId, key: r.key, model: r.model, seed: r.seed, metadata: r.metadata });
    for (const [ordinal, s] of r.stages.entries()) {
      const sid = stageId++;
      stageValues.push({ id: sid, runId: rid, ordinal, ...s });
      idRows.push(`(${sqlString(r.key)}, ${sqlString(s.name)}, ${rid}, ${sid})`);
    }
  }
  const lastRun = runId - 1;
  for (let i = 0; i < runValues.length; i += 500) await orm.insert(runs).values(runValues.slice(i, i + 500));
  for (let i = 0; i < stageValues.length; i += 500) await orm.insert(stages).values(stageValues.slice(i, i + 500));
  await conn.run('CREATE OR REPLACE TEMP TABLE ingest_ids (run_key VARCHAR, stage_name VARCHAR, run_id INTEGER, stage_id INTEGER)');
  await conn.run(`INSERT INTO ingest_ids VALUES ${idRows.join(', ')}`);

  const topicBase = await nextId(conn, 'topics');
  await conn.run(
    `INSERT INTO ${sqlIdentTable(topics)} (id, name)
     SELECT ${topicBase} - 1 + row_number() OVER (ORDER BY topic), topic
     FROM (SELECT DISTINCT topic FROM ${TYPED}) WHERE topic NOT IN (SELECT name FROM topics)`,
  );
  await conn.run(
    `INSERT INTO ${sqlIdentTable(prompts)} (id, dataset_id, topic_id, key)
     SELECT ${promptBase} - 1 + row_number() OVER (ORDER BY t.id, p.prompt_id), ${datasetId}, t.id, p.prompt_id
     FROM (SELECT DISTINCT topic, prompt_id FROM ${TYPED}) p JOIN topics t ON t.name = p.topic`,
  );

  progress(`writing ${observationCount.toLocaleString('en-US')} observations`);
  await conn.run(
    `INSERT INTO observations
     SELECT i.run_id, i.stage_id, CAST(s.step_num AS INTEGER), t.id, p.id, CAST(s.gen_num AS INTEGER), s.ps, s.pn, s.po
     FROM ${TYPED} s
     JOIN ingest_ids i ON i.run_key = s.run_id AND i.stage_name = s.stage
     JOIN topics t ON t.name = s.topic
     JOIN prompts p ON p.dataset_id = ${datasetId} AND p.topic_id = t.id AND p.key = s.prompt_id
     ORDER BY 1, 2, 3, 4, 5, 6`,
  );
  progress('aggregating prompt means and checkpoint values');
  const range = `run_id BETWEEN ${firstRun} AND ${lastRun}`;
  await conn.run(
    `INSERT INTO prompt_means
     SELECT run_id, stage_id, step, topic_id, prompt_id, count(*), avg(p_support), avg(p_neutral), avg(p_oppose)
     FROM observations WHERE ${range} GROUP BY ALL ORDER BY ALL`,
  );
  await conn.run(
    `INSERT INTO checkpoint_values
     SELECT run_id, stage_id, step, topic_id, count(*), avg(m_support), avg(m_neutral), avg(m_oppose),
       stddev_samp(m_support), stddev_samp(m_neutral), stddev_samp(m_oppose)
     FROM prompt_means WHERE ${range} GROUP BY run_id, stage_id, step, topic_id ORDER BY run_id, stage_id, step, topic_id`,
  );
  await bumpDataVersion(conn);

  const [counts] = await queryOn(
    conn,
    `SELECT (SELECT count(DISTINCT topic_id) FROM prompts WHERE dataset_id = ${datasetId}) AS topics,
            (SELECT count(*) FROM prompts WHERE dataset_id = ${datasetId}) AS prompts`,
  );
  return {
    datasetId,
    runs: manifest.runs.length,
    topics: Number(counts?.topics ?? 0),
    prompts: Number(counts?.prompts ?? 0),
    observations: observationCount,
  };
}

function sqlIdentTable(t: typeof topics | typeof prompts): string {
  return t === topics ? 'topics' : 'prompts';
}
