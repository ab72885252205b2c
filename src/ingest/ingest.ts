/**
 * Ingest of one drift-trace/v1 bundle: all or nothing. The files are validated by one scan
 * (fast.ts) before the write transaction opens; a bundle with problems is re-read as text to
 * locate them (stage.ts, validate.ts) and refused. Any failure inside the transaction rolls it
 * back, so a refused bundle leaves the database exactly as it was.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { eq, and } from 'drizzle-orm';
import { DriftDb, queryOn } from '../db/client';
import { migrate } from '../db/migrate';
import { datasets, labs, runs, stages } from '../db/schema';
import { sqlString } from '../db/sql';
import { bumpDataVersion } from '../db/version';
import { BundleError, ConflictError, type Problem } from './errors';
import { IDS, LABELS, PROMPTS, createLabels, scanSource, sourceSql } from './fast';
import { readManifest, type Manifest, type RunSpec } from './manifest';
import { rawTable, stageFiles } from './stage';
import { TYPED, validate } from './validate';

export interface IngestOptions {
  /** Replace an already-loaded dataset with the same lab, name and version but other content. */
  replace?: boolean;
  /**
   * Run every check a real ingest runs (duplicates included), then roll back: nothing is
   * written and the result's status is 'validated'.
   */
  dryRun?: boolean;
  progress?: (message: string) => void;
  /**
   * Runs inside the ingest's transaction on the write connection, just before it commits (not
   * on a dry run): what it writes becomes durable together with the data, or not at all.
   */
  beforeCommit?: (conn: DuckDBConnection, result: IngestResult) => Promise<void>;
}

export interface IngestResult {
  status: 'ingested' | 'replaced' | 'unchanged' | 'validated';
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

async function dropTemps(conn: DuckDBConnection, files: number): Promise<void> {
  const raw = Array.from({ length: files }, (_, i) => rawTable(i));
  for (const t of [TYPED, IDS, PROMPTS, LABELS, PM, CV, ...raw]) await conn.run(`DROP TABLE IF EXISTS ${t}`);
}

/**
 * Re-reads the bundle as text and reports every problem with file, line and field. Called only
 * when the fast path found something wrong; it always throws.
 */
async function diagnose(conn: DuckDBConnection, manifest: Manifest, progress: (m: string) => void): Promise<never> {
  progress('problems found: re-reading the files to locate them');
  await createLabels(conn, manifest);
  const staged = await stageFiles(conn, manifest.files, progress);
  await validate(conn, manifest, staged);
  throw new Error('ingest found a problem in this bundle that it could not locate; please report it with the bundle');
}

interface IdPlan {
  datasetId: number;
  firstRun: number;
  lastRun: number;
  promptBase: number;
  runs: { id: number; spec: RunSpec; stages: { id: number; ordinal: number }[] }[];
}

/**
 * Assigns ids for the new dataset, runs and stages (one writer, so max+1 is safe) and stages them
 * as IDS. When the bundle replaces dataset `replaceId`, runs whose keys it keeps get their old
 * ids back, so saved links to `Run.id` survive a replace.
 */
async function planIds(conn: DuckDBConnection, manifest: Manifest, replaceId?: number): Promise<IdPlan> {
  const datasetId = await nextId(conn, 'datasets');
  let runId = await nextId(conn, 'runs');
  let stageId = await nextId(conn, 'stages');
  const promptBase = await nextId(conn, 'prompts');
  const previous = new Map<string, number>();
  if (replaceId !== undefined) {
    for (const r of await queryOn(conn, 'SELECT key, id FROM runs WHERE dataset_id = $1', [replaceId]))
      previous.set(String(r.key), Number(r.id));
  }
  const runs = manifest.runs.map((spec) => ({
    id: previous.get(spec.key) ?? runId++,
    spec,
    stages: spec.stages.map((_, ordinal) => ({ id: stageId++, ordinal })),
  }));
  const firstRun = Math.min(...runs.map((r) => r.id));
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${IDS} (run_key VARCHAR, stage_name VARCHAR, run_id INTEGER, stage_id INTEGER)`);
  const rows = runs.flatMap((r) =>
    r.spec.stages.map((st, k) => `(${sqlString(r.spec.key)}, ${sqlString(st.name)}, ${r.id}, ${r.stages[k]!.id})`),
  );
  for (let i = 0; i < rows.length; i += 1000) await conn.run(`INSERT INTO ${IDS} VALUES ${rows.slice(i, i + 1000).join(', ')}`);
  return { datasetId, firstRun, lastRun: Math.max(...runs.map((r) => r.id)), promptBase, runs };
}

class DuplicateRows extends Error {}

/**
 * Deletes a dataset version and every row derived from it (runs, stages, prompts, observations,
 * prompt means, checkpoint values). Call it inside the caller's transaction.
 */
export async function deleteDatasetRows(conn: DuckDBConnection, datasetId: number): Promise<void> {
  const runIds = `SELECT id FROM runs WHERE dataset_id = ${Number(datasetId)}`;
  for (const table of ['observations', 'prompt_means', 'checkpoint_values', 'stages']) {
    await conn.run(`DELETE FROM ${table} WHERE run_id IN (${runIds})`);
  }
  await conn.run(`DELETE FROM runs WHERE dataset_id = ${Number(datasetId)}`);
  await conn.run(`DELETE FROM prompts WHERE dataset_id = ${Number(datasetId)}`);
  await conn.run(`DELETE FROM datasets WHERE id = ${Number(datasetId)}`);
}

const PM = 'ingest_pm';
const CV = 'ingest_cv';
const STANCE_SUFFIXES = ['support', 'neutral', 'oppose'] as const;
/**
 * 2^100. Every value summed at ingest lies in [0, 1]; scaled by 2^100 and cast to HUGEINT it is
 * exact for any double ≥ 2^-47 (smaller ones are rounded to a multiple of 2^-100, the same way
 * every time), and integer addition does not depend on order. So sums are exact however DuckDB
 * splits the work over threads and however the files are ordered, and the stored means are
 * bit-identical between ingests. A group may hold up to 2^27 values before HUGEINT overflows.
 */
const EXACT = '1.2676506002282294e30';
const exact = (x: string) => `CAST((${x}) * ${EXACT} AS HUGEINT)`;

/** In-memory databases are one per process (DriftDb.open), so validations take turns. */
let validating: Promise<unknown> = Promise.resolve();

/**
 * Checks a bundle without any database of the caller's: a dry run of ingest into a fresh
 * in-memory database. Returns the counts a real ingest would report (status 'validated') or
 * throws the same BundleError a real ingest would.
 */
export function validateBundle(dir: string, opts: Omit<IngestOptions, 'dryRun' | 'replace'> = {}): Promise<IngestResult> {
  const run = validating.then(async () => {
    const db = await DriftDb.open(':memory:', { readConnections: 1 });
    try {
      await migrate(db);
      return await ingestBundle(db, dir, { ...opts, dryRun: true });
    } finally {
      await db.close();
    }
  });
  validating = run.catch(() => undefined);
  return run;
}

export async function ingestBundle(db: DriftDb, dir: string, opts: IngestOptions = {}): Promise<IngestResult> {
  const started = Date.now();
  const progress = opts.progress ?? (() => undefined);
  const manifest = readManifest(dir);
  // Hashing a large bundle takes a while; it overlaps with the validation scan (DuckDB works on
  // its own threads) and is awaited first only when a dataset of the same identity exists.
  const hashing = contentHash(dir, manifest);
  hashing.catch(() => undefined);
  const { lab, name, version } = manifest.dataset;
  const base = { lab, dataset: name, version, files: manifest.files.length };

  // The lookup runs on the write connection so two ingests in one process cannot both insert.
  return db.withWriter(async (conn) => {
    const orm = db.ormOn(conn);
    const existing = (
      await orm
        .select({ id: datasets.id, hash: datasets.contentHash, observations: datasets.observationCount })
        .from(datasets)
        .innerJoin(labs, eq(labs.id, datasets.labId))
        .where(and(eq(labs.name, lab), eq(datasets.name, name), eq(datasets.version, version)))
    )[0];
    const knownHash = existing ? await hashing : null;
    if (existing && existing.hash === knownHash) {
      const [counts] = await queryOn(
        conn,
        `SELECT (SELECT count(*) FROM runs WHERE dataset_id = $1) AS runs,
                (SELECT count(DISTINCT topic_id) FROM prompts WHERE dataset_id = $1) AS topics,
                (SELECT count(*) FROM prompts WHERE dataset_id = $1) AS prompts`,
        [existing.id],
      );
      return {
        ...base,
        contentHash: knownHash,
        status: 'unchanged',
        datasetId: existing.id,
        runs: Number(counts?.runs ?? 0),
        topics: Number(counts?.topics ?? 0),
        prompts: Number(counts?.prompts ?? 0),
        observations: existing.observations,
        seconds: (Date.now() - started) / 1000,
      } as IngestResult;
    }
    if (existing && !opts.replace) {
      throw new ConflictError(
        `${lab}/${name} version ${version} is already loaded with different content; ` +
          `bump dataset.version in manifest.json to keep both, or pass --replace to overwrite it`,
      );
    }
    try {
      const plan = await planIds(conn, manifest, existing && opts.replace ? existing.id : undefined);
      progress(`reading ${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'}`);
      let source: string | null = null;
      let scan = { rows: 0, bad: 0 };
      try {
        source = await sourceSql(conn, manifest);
        if (source) scan = await scanSource(conn, source);
      } catch {
        source = null; // a reader refused a file: the diagnosis reports where
      }
      if (!source) return await diagnose(conn, manifest, progress);
      const { rows, bad } = scan;
      progress(`read ${rows.toLocaleString('en-US')} rows; ${bad ? `${bad.toLocaleString('en-US')} invalid` : 'all valid'}`);
      if (bad > 0 || rows === 0) return await diagnose(conn, manifest, progress);

      await conn.run('BEGIN TRANSACTION');
      try {
        const hash = await hashing;
        const written = await write(db, conn, manifest, hash, rows, plan, source, existing?.id, progress);
        const result = {
          ...base,
          ...written,
          contentHash: hash,
          status: opts.dryRun ? 'validated' : existing ? 'replaced' : 'ingested',
          seconds: (Date.now() - started) / 1000,
        } as IngestResult;
        if (opts.dryRun) {
          await conn.run('ROLLBACK');
          progress('every check passed; dry run, nothing was written');
        } else {
          await opts.beforeCommit?.(conn, result);
          progress('committing');
          await conn.run('COMMIT');
          db.noteChange();
        }
        return result;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        if (err instanceof DuplicateRows) return await diagnose(conn, manifest, progress);
        throw err;
      }
    } finally {
      await dropTemps(conn, manifest.files.length);
    }
  });
}

/**
 * A stage's totalSteps (T_k of README Metrics) must reach its largest evaluated step, or drift
 * times would exceed 1. Checked on the prompt means, which are few.
 */
async function checkTotalSteps(conn: DuckDBConnection, plan: IdPlan): Promise<void> {
  const declared = new Map<number, { run: number; stage: number; key: string; name: string; total: number }>();
  plan.runs.forEach((r, ri) =>
    r.spec.stages.forEach((st, si) => {
      if (st.totalSteps !== null)
        declared.set(r.stages[si]!.id, { run: ri, stage: si, key: r.spec.key, name: st.name, total: st.totalSteps });
    }),
  );
  if (!declared.size) return;
  const rows = await queryOn(conn, `SELECT stage_id, max(step) AS max_step FROM ${PM} GROUP BY stage_id ORDER BY stage_id`);
  const problems: Problem[] = [];
  for (const r of rows) {
    const d = declared.get(Number(r.stage_id));
    const max = Number(r.max_step);
    if (!d || max <= d.total) continue;
    problems.push({
      file: 'manifest.json',
      field: `runs[${d.run}].stages[${d.stage}].totalSteps`,
      message:
        `is ${d.total}, but run "${d.key}" stage "${d.name}" is evaluated up to step ${max} (field step of the observation files); ` +
        `set totalSteps to at least ${max}, or leave it out to use the largest evaluated step`,
    });
  }
  if (problems.length) throw new BundleError(problems);
}

async function write(
  db: DriftDb,
  conn: DuckDBConnection,
  manifest: Manifest,
  hash: string,
  observationCount: number,
  plan: IdPlan,
  source: string,
  replaceId: number | undefined,
  progress: (m: string) => void,
): Promise<Pick<IngestResult, 'datasetId' | 'runs' | 'topics' | 'prompts' | 'observations'>> {
  const orm = db.ormOn(conn);
  const { datasetId, firstRun, lastRun, promptBase } = plan;

  if (replaceId !== undefined) {
    progress(`removing the previous content of dataset ${replaceId}`);
    await deleteDatasetRows(conn, replaceId);
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

  const runValues = plan.runs.map((r) => ({
    id: r.id,
    datasetId,
    key: r.spec.key,
    model: r.spec.model,
    seed: r.spec.seed,
    metadata: r.spec.metadata,
  }));
  const stageValues = plan.runs.flatMap((r) => r.spec.stages.map((s, k) => ({ id: r.stages[k]!.id, runId: r.id, ordinal: k, ...s })));
  for (let i = 0; i < runValues.length; i += 500) await orm.insert(runs).values(runValues.slice(i, i + 500));
  for (let i = 0; i < stageValues.length; i += 500) await orm.insert(stages).values(stageValues.slice(i, i + 500));

  const topicBase = await nextId(conn, 'topics');
  await conn.run(
    `INSERT INTO topics (id, name)
     SELECT ${topicBase} - 1 + row_number() OVER (ORDER BY topic), topic
     FROM (SELECT DISTINCT topic FROM ${PROMPTS}) WHERE topic NOT IN (SELECT name FROM topics)`,
  );
  await conn.run(
    `INSERT INTO prompts (id, dataset_id, topic_id, key)
     SELECT ${promptBase} - 1 + row_number() OVER (ORDER BY t.id, p.prompt_id), ${datasetId}, t.id, p.prompt_id
     FROM ${PROMPTS} p JOIN topics t ON t.name = p.topic`,
  );

  progress(`writing ${observationCount.toLocaleString('en-US')} observations`);
  // No ORDER BY: files are grouped by run in practice, which keeps zone maps useful, and a
  // global sort of every row costs more than it saves.
  await conn.run(
    `INSERT INTO observations
     SELECT s.run_id, s.stage_id, CAST(s.step_num AS INTEGER), p.topic_id, p.id, CAST(s.gen_num AS INTEGER), s.ps, s.pn, s.po
     FROM ${source} s
     JOIN (SELECT t.name AS topic, p.key, p.topic_id, p.id FROM prompts p JOIN topics t ON t.id = p.topic_id WHERE p.dataset_id = ${datasetId}) p
       ON p.topic = s.topic AND p.key = s.prompt_id`,
  );
  progress('aggregating prompt means and checkpoint values');
  // The bounds keep DuckDB's zone maps useful; the list is exact (a replace reuses older run ids,
  // so the bundle's runs need not be contiguous).
  const range = `run_id BETWEEN ${firstRun} AND ${lastRun} AND run_id IN (SELECT DISTINCT run_id FROM ${IDS})`;
  // Sums are exact (see EXACT), so the stored values cannot depend on thread count or file
  // order. Duplicate (run, stage, step, topic, prompt, generation) rows show up here as fewer
  // distinct generations than rows. count(DISTINCT) costs more than the rest of the
  // aggregation, so generations below 64 are counted through a bitmask; only larger ones need
  // the exact query.
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${PM} AS
     SELECT *, ${STANCE_SUFFIXES.map((s) => `CAST(s_${s} AS DOUBLE) / ${EXACT} / generations AS m_${s}`).join(', ')}
     FROM (SELECT run_id, stage_id, step, topic_id, prompt_id, count(*) AS generations,
       CASE WHEN max(generation) < 64 THEN bit_count(bit_or(CAST(1 AS UBIGINT) << CAST(generation AS UBIGINT))) END AS distinct_generations,
       ${STANCE_SUFFIXES.map((s) => `sum(${exact(`p_${s}`)}) AS s_${s}`).join(', ')}
     FROM observations WHERE ${range} GROUP BY ALL)`,
  );
  const [dup] = await queryOn(
    conn,
    `SELECT count(*) FILTER (WHERE generations <> distinct_generations) AS n, count(*) FILTER (WHERE distinct_generations IS NULL) AS unknown FROM ${PM}`,
  );
  let duplicates = Number(dup?.n ?? 0);
  if (!duplicates && Number(dup?.unknown ?? 0) > 0) {
    const [exactDup] = await queryOn(
      conn,
      `SELECT count(*) AS n FROM (SELECT 1 FROM observations WHERE ${range} GROUP BY run_id, stage_id, step, topic_id, prompt_id, generation HAVING count(*) > 1)`,
    );
    duplicates = Number(exactDup?.n ?? 0);
  }
  if (duplicates > 0) throw new DuplicateRows();
  await checkTotalSteps(conn, plan);
  await conn.run(
    `INSERT INTO prompt_means SELECT run_id, stage_id, step, topic_id, prompt_id, generations, m_support, m_neutral, m_oppose
     FROM ${PM} ORDER BY run_id, stage_id, step, topic_id, prompt_id`,
  );
  // The value is the mean of the prompt means. When every prompt of the checkpoint has the same
  // number of generations it equals the sum of all observations over (generations × prompts),
  // which skips the rounding of each prompt mean: hard labels then give the double nearest the
  // exact fraction.
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${CV} AS
     SELECT run_id, stage_id, step, topic_id, count(*) AS prompts,
       ${STANCE_SUFFIXES.map(
         (s) => `CASE WHEN min(generations) = max(generations)
           THEN CAST(sum(s_${s}) AS DOUBLE) / ${EXACT} / sum(generations)
           ELSE CAST(sum(${exact(`m_${s}`)}) AS DOUBLE) / ${EXACT} / count(*) END AS v_${s}`,
       ).join(',\n       ')}
     FROM ${PM} GROUP BY run_id, stage_id, step, topic_id`,
  );
  // Sample sd in two passes, Σ (m - v)² summed exactly: no cancellation, no order.
  await conn.run(
    `INSERT INTO checkpoint_values
     SELECT c.run_id, c.stage_id, c.step, c.topic_id, c.prompts, ${STANCE_SUFFIXES.map((s) => `c.v_${s}`).join(', ')},
       ${STANCE_SUFFIXES.map(
         (s) =>
           `CASE WHEN c.prompts > 1 THEN sqrt(CAST(sum(${exact(`(p.m_${s} - c.v_${s}) * (p.m_${s} - c.v_${s})`)}) AS DOUBLE) / ${EXACT} / (c.prompts - 1)) END`,
       ).join(', ')}
     FROM ${CV} c JOIN ${PM} p USING (run_id, stage_id, step, topic_id)
     GROUP BY c.run_id, c.stage_id, c.step, c.topic_id, c.prompts, ${STANCE_SUFFIXES.map((s) => `c.v_${s}`).join(', ')}
     ORDER BY c.run_id, c.stage_id, c.step, c.topic_id`,
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
