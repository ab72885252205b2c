/**
 * The fast path of ingest. Files are read with types by DuckDB's readers and never copied into
 * a staging table: one aggregate scan validates every row and collects the distinct prompts,
 * then the insert reads the files again (a second columnar scan is cheaper than materialising
 * millions of rows). The scan only answers "is everything valid?"; when it is not (or a reader
 * throws), ingest runs the diagnosis in stage.ts/validate.ts, which re-reads the files as text
 * to name file, line and field.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOn } from '../db/client';
import { sqlIdent, sqlString } from '../db/sql';
import { KEY_COLUMNS, PROB_COLUMNS, type CanonicalColumn, type Manifest } from './manifest';
import { fileColumns, readerSql } from './readers';

/** Distinct (topic, prompt_id) of the bundle, from the validation scan. */
export const PROMPTS = 'ingest_prompts';
export const IDS = 'ingest_ids';
const LABELS = 'ingest_labels';
const PROB_SUM_TOLERANCE = 1e-3;
const MAX_INT = 2147483647;

const NUMERIC: readonly CanonicalColumn[] = ['step', 'generation', ...PROB_COLUMNS];

/**
 * SQL of the bundle's rows (file_idx, run_key, stage_name, topic, prompt_id, step_num, gen_num,
 * stance, ps, pn, po, stance_canonical, run_id, stage_id), or null when a file lacks required
 * columns (the diagnosis says which).
 */
export async function sourceSql(conn: DuckDBConnection, manifest: Manifest): Promise<string | null> {
  const labels = Object.entries(manifest.stanceLabels);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${LABELS} (label VARCHAR, stance VARCHAR)`);
  await conn.run(`INSERT INTO ${LABELS} VALUES ${labels.map(([l, s]) => `(${sqlString(l!)}, ${sqlString(s!)})`).join(', ')}`);

  const selects: string[] = [];
  for (const [i, f] of manifest.files.entries()) {
    const src = (c: CanonicalColumn) => f.columns[c] ?? c;
    const columns = await fileColumns(conn, f);
    const present = new Set(columns);
    if (KEY_COLUMNS.some((c) => !present.has(src(c)))) return null;
    const probs = PROB_COLUMNS.every((c) => present.has(src(c)));
    if (!probs && !present.has(src('stance'))) return null;
    const used = [...KEY_COLUMNS, ...(probs ? PROB_COLUMNS : (['stance'] as const))];
    const numeric = new Set(used.filter((c) => NUMERIC.includes(c)).map(src));
    const read = readerSql(f, columns, (c) => (numeric.has(c) ? 'DOUBLE' : 'VARCHAR'));
    const col = (c: CanonicalColumn, type: string) => `CAST(${sqlIdent(src(c))} AS ${type})`;
    const keys = `${i} AS file_idx, ${col('run_id', 'VARCHAR')} AS run_key, ${col('stage', 'VARCHAR')} AS stage_name,
        ${col('topic', 'VARCHAR')} AS topic, ${col('prompt_id', 'VARCHAR')} AS prompt_id,
        ${col('step', 'DOUBLE')} AS step_num, ${col('generation', 'DOUBLE')} AS gen_num`;
    // Hard labels become one-hot probabilities; only label files pay for the label join.
    selects.push(
      probs
        ? `SELECT ${keys}, NULL::VARCHAR AS stance, ${col('p_support', 'DOUBLE')} AS ps, ${col('p_neutral', 'DOUBLE')} AS pn,
             ${col('p_oppose', 'DOUBLE')} AS po, NULL::VARCHAR AS stance_canonical
           FROM ${read}`
        : `SELECT ${keys}, r.stance, CAST(m.stance = 'support' AS DOUBLE) AS ps, CAST(m.stance = 'neutral' AS DOUBLE) AS pn,
             CAST(m.stance = 'oppose' AS DOUBLE) AS po, m.stance AS stance_canonical
           FROM (SELECT *, ${col('stance', 'VARCHAR')} AS stance FROM ${read}) r LEFT JOIN ${LABELS} m ON m.label = r.stance`,
    );
  }
  return `(SELECT f.*, i.run_id, i.stage_id FROM (${selects.join('\nUNION ALL\n')}) f
    LEFT JOIN ${IDS} i ON i.run_key = f.run_key AND i.stage_name = f.stage_name)`;
}

/**
 * One scan: rows, rows breaking any rule of DESIGN §2 (duplicates are caught by the prompt-mean
 * aggregation), and the distinct prompts into PROMPTS.
 */
export async function scanSource(conn: DuckDBConnection, source: string): Promise<{ rows: number; bad: number }> {
  const empty = (c: string) => `${c} IS NULL OR trim(${c}) = ''`;
  // An empty run or stage name matches no manifest entry, so run_id IS NULL covers it; empty
  // topics and prompt ids are checked on the (few) distinct pairs after grouping.
  const badInt = (c: string) => `${c} IS NULL OR isnan(${c}) OR isinf(${c}) OR ${c} < 0 OR ${c} <> floor(${c}) OR ${c} > ${MAX_INT}`;
  const badProb = (c: string) => `${c} IS NULL OR isnan(${c}) OR ${c} < 0 OR ${c} > 1`;
  const bad = [
    'run_id IS NULL',
    badInt('step_num'),
    badInt('gen_num'),
    '(stance IS NOT NULL AND stance_canonical IS NULL)',
    ...['ps', 'pn', 'po'].map(badProb),
    `abs(ps + pn + po - 1) > ${PROB_SUM_TOLERANCE}`,
  ]
    .map((b) => `(${b})`)
    .join(' OR ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${PROMPTS} AS
    SELECT topic, prompt_id, count(*) AS rows, count(*) FILTER (WHERE ${bad}) AS bad FROM ${source} s GROUP BY topic, prompt_id`);
  const [r] = await queryOn(
    conn,
    `SELECT coalesce(sum(rows), 0) AS rows,
            coalesce(sum(CASE WHEN (${empty('topic')}) OR (${empty('prompt_id')}) THEN rows ELSE bad END), 0) AS bad
     FROM ${PROMPTS}`,
  );
  return { rows: Number(r?.rows ?? 0), bad: Number(r?.bad ?? 0) };
}
