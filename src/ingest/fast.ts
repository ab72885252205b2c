/**
 * The fast path of ingest: every file is read once, with types, straight into one staging table
 * that already carries the run and stage ids. Validation is then a single aggregate over it.
 * It only answers "is everything valid?"; when it is not (or a reader throws), ingest runs the
 * diagnosis in stage.ts/validate.ts, which re-reads the files as text to name file, line and field.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOn } from '../db/client';
import { sqlIdent, sqlString } from '../db/sql';
import { STANCES } from '../domain';
import { KEY_COLUMNS, PROB_COLUMNS, type CanonicalColumn, type FileSpec, type Manifest } from './manifest';

export const ROWS = 'ingest_rows';
export const IDS = 'ingest_ids';
const LABELS = 'ingest_labels';
const PROB_SUM_TOLERANCE = 1e-3;
const MAX_INT = 2147483647;

const NUMERIC: readonly CanonicalColumn[] = ['step', 'generation', ...PROB_COLUMNS];

function reader(f: FileSpec, types: Record<string, string> | null): string {
  const p = sqlString(f.absPath);
  switch (f.format) {
    case 'csv': {
      const t = types ? `, types = {${Object.entries(types).map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`).join(', ')}}` : '';
      return `read_csv(${p}, header = true, strict_mode = true${f.delimiter ? `, delim = ${sqlString(f.delimiter)}` : ''}${t})`;
    }
    case 'jsonl':
      return `read_json(${p}, format = 'newline_delimited', records = true)`;
    case 'parquet':
      return `read_parquet(${p})`;
  }
}

/** Builds ROWS from the files; false when a file lacks required columns (the diagnosis says which). */
export async function stageFast(conn: DuckDBConnection, manifest: Manifest): Promise<boolean> {
  const labels = [...STANCES.map((s) => [s, s]), ...Object.entries(manifest.stanceLabels)];
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${LABELS} (label VARCHAR, stance VARCHAR)`);
  await conn.run(`INSERT INTO ${LABELS} VALUES ${labels.map(([l, s]) => `(${sqlString(l!)}, ${sqlString(s!)})`).join(', ')}`);

  const selects: string[] = [];
  for (const [i, f] of manifest.files.entries()) {
    const src = (c: CanonicalColumn) => f.columns[c] ?? c;
    const present = new Set(
      (await queryOn(conn, `DESCRIBE SELECT * FROM ${reader(f, null)}`)).map((r) => String(r.column_name)),
    );
    if (KEY_COLUMNS.some((c) => !present.has(src(c)))) return false;
    const probs = PROB_COLUMNS.every((c) => present.has(src(c)));
    if (!probs && !present.has(src('stance'))) return false;
    const used = [...KEY_COLUMNS, ...(probs ? PROB_COLUMNS : (['stance'] as const))];
    const types = f.format === 'csv' ? Object.fromEntries(used.map((c) => [src(c), NUMERIC.includes(c) ? 'DOUBLE' : 'VARCHAR'])) : null;
    const col = (c: CanonicalColumn, type: string) => `CAST(${sqlIdent(src(c))} AS ${type})`;
    selects.push(
      `SELECT ${i} AS file_idx, ${col('run_id', 'VARCHAR')} AS run_key, ${col('stage', 'VARCHAR')} AS stage_name,
        ${col('topic', 'VARCHAR')} AS topic, ${col('prompt_id', 'VARCHAR')} AS prompt_id,
        ${col('step', 'DOUBLE')} AS step_num, ${col('generation', 'DOUBLE')} AS gen_num,
        ${probs ? PROB_COLUMNS.map((c) => `${col(c, 'DOUBLE')} AS ${c}`).join(', ') : 'NULL::DOUBLE AS p_support, NULL::DOUBLE AS p_neutral, NULL::DOUBLE AS p_oppose'},
        ${probs ? 'NULL::VARCHAR' : col('stance', 'VARCHAR')} AS stance
       FROM ${reader(f, types)}`,
    );
  }
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${ROWS} AS
    SELECT f.file_idx, f.run_key, f.stage_name, f.topic, f.prompt_id, f.step_num, f.gen_num, f.stance,
      CASE WHEN f.stance IS NULL THEN f.p_support ELSE CAST(m.stance = 'support' AS DOUBLE) END AS ps,
      CASE WHEN f.stance IS NULL THEN f.p_neutral ELSE CAST(m.stance = 'neutral' AS DOUBLE) END AS pn,
      CASE WHEN f.stance IS NULL THEN f.p_oppose ELSE CAST(m.stance = 'oppose' AS DOUBLE) END AS po,
      m.stance AS stance_canonical, i.run_id, i.stage_id
    FROM (${selects.join('\nUNION ALL\n')}) f
    LEFT JOIN ${IDS} i ON i.run_key = f.run_key AND i.stage_name = f.stage_name
    LEFT JOIN ${LABELS} m ON m.label = f.stance`);
  return true;
}

/** Rows and rows breaking any rule of DESIGN §2 (duplicates are checked after aggregation). */
export async function countProblems(conn: DuckDBConnection): Promise<{ rows: number; bad: number }> {
  const empty = (c: string) => `${c} IS NULL OR trim(${c}) = ''`;
  const badInt = (c: string) => `${c} IS NULL OR isnan(${c}) OR isinf(${c}) OR ${c} < 0 OR ${c} <> floor(${c}) OR ${c} > ${MAX_INT}`;
  const badProb = (c: string) => `${c} IS NULL OR isnan(${c}) OR ${c} < 0 OR ${c} > 1`;
  const bad = [
    ...['run_key', 'stage_name', 'topic', 'prompt_id'].map(empty),
    'run_id IS NULL',
    badInt('step_num'),
    badInt('gen_num'),
    '(stance IS NOT NULL AND stance_canonical IS NULL)',
    ...['ps', 'pn', 'po'].map(badProb),
    `abs(ps + pn + po - 1) > ${PROB_SUM_TOLERANCE}`,
  ]
    .map((b) => `(${b})`)
    .join(' OR ');
  const [r] = await queryOn(conn, `SELECT count(*) AS rows, count(*) FILTER (WHERE ${bad}) AS bad FROM ${ROWS}`);
  return { rows: Number(r?.rows ?? 0), bad: Number(r?.bad ?? 0) };
}
