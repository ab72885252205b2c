/**
 * Every rule of DESIGN §2 as a SQL check over the staging table. Each check reports up to
 * MAX_PROBLEMS offending rows with the file, line and field, and counts the rest.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOn } from '../db/client';
import { sqlString } from '../db/sql';
import { BundleError, MAX_PROBLEMS, type Problem } from './errors';
import type { Manifest } from './manifest';
import { STAGING, physicalLines, type StagedFile } from './stage';

export const MANIFEST_STAGES = 'ingest_manifest_stages';
export const STANCE_MAP = 'ingest_stance_map';
/** Staging rows with typed values; valid once validate() has passed. */
export const TYPED = 'ingest_typed';

const PROB_SUM_TOLERANCE = 1e-3;
const MAX_INT = 2147483647;

interface Check {
  field: string;
  /** SQL predicate over TYPED that is true for a bad row. */
  bad: string;
  /** SQL expression giving the message for a bad row. */
  message: string;
}

const q = (col: string) => `'"' || coalesce(${col}, '') || '"'`;

function integerChecks(field: string, raw: string, num: string): Check[] {
  return [
    { field, bad: `${raw} IS NOT NULL AND trim(${raw}) <> '' AND ${num} IS NULL`, message: `${q(raw)} || ' is not a number'` },
    {
      field,
      bad: `${num} IS NOT NULL AND (isnan(${num}) OR isinf(${num}) OR ${num} < 0 OR ${num} <> floor(${num}) OR ${num} > ${MAX_INT})`,
      message: `'must be a non-negative integer, got ' || ${q(raw)}`,
    },
  ];
}

function probabilityChecks(field: string, raw: string, num: string, isProb: string): Check[] {
  return [
    { field, bad: `${isProb} AND (${raw} IS NULL OR trim(${raw}) = '')`, message: `'is empty; give a probability in [0, 1]'` },
    {
      field,
      bad: `${isProb} AND ${raw} IS NOT NULL AND trim(${raw}) <> '' AND ${num} IS NULL`,
      message: `${q(raw)} || ' is not a number'`,
    },
    { field, bad: `${isProb} AND isnan(${num})`, message: `'is NaN; give a probability in [0, 1]'` },
    { field, bad: `${isProb} AND NOT isnan(${num}) AND (${num} < 0 OR ${num} > 1)`, message: `${q(raw)} || ' is outside [0, 1]'` },
  ];
}

export async function validate(conn: DuckDBConnection, manifest: Manifest, staged: StagedFile[]): Promise<number> {
  const stageRows = manifest.runs.flatMap((r) => r.stages.map((s) => `(${sqlString(r.key)}, ${sqlString(s.name)})`));
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${MANIFEST_STAGES} (run_key VARCHAR, stage_name VARCHAR)`);
  await conn.run(`INSERT INTO ${MANIFEST_STAGES} VALUES ${stageRows.join(', ')}`);

  const probFiles = staged.flatMap((f, i) => (f.hasProbabilities ? [i] : []));
  const isProb = probFiles.length ? `file_idx IN (${probFiles.join(', ')})` : 'false';
  const labels = Object.entries(manifest.stanceLabels);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${STANCE_MAP} (label VARCHAR, stance VARCHAR)`);
  await conn.run(`INSERT INTO ${STANCE_MAP} VALUES ${labels.map(([l, s]) => `(${sqlString(l)}, ${sqlString(s)})`).join(', ')}`);

  await conn.run(`CREATE OR REPLACE TEMP TABLE ${TYPED} AS
    SELECT s.*, TRY_CAST(s.step AS DOUBLE) AS step_num, TRY_CAST(s.generation AS DOUBLE) AS gen_num,
      CASE WHEN ${isProb} THEN TRY_CAST(s.p_support AS DOUBLE) WHEN m.stance = 'support' THEN 1.0 ELSE 0.0 END AS ps,
      CASE WHEN ${isProb} THEN TRY_CAST(s.p_neutral AS DOUBLE) WHEN m.stance = 'neutral' THEN 1.0 ELSE 0.0 END AS pn,
      CASE WHEN ${isProb} THEN TRY_CAST(s.p_oppose AS DOUBLE) WHEN m.stance = 'oppose' THEN 1.0 ELSE 0.0 END AS po,
      m.stance AS stance_canonical,
      EXISTS (SELECT 1 FROM ${MANIFEST_STAGES} ms WHERE ms.run_key = s.run_id) AS run_known,
      EXISTS (SELECT 1 FROM ${MANIFEST_STAGES} ms WHERE ms.run_key = s.run_id AND ms.stage_name = s.stage) AS stage_known
    FROM ${STAGING} s LEFT JOIN ${STANCE_MAP} m ON m.label = s.stance`);

  const total = Number((await queryOn(conn, `SELECT count(*) AS n FROM ${TYPED}`))[0]?.n ?? 0);
  if (total === 0) {
    throw new BundleError([
      { file: manifest.files.map((f) => f.path).join(', '), message: 'hold no observations; a bundle needs at least one row' },
    ]);
  }

  const runList =
    manifest.runs
      .slice(0, 5)
      .map((r) => r.key)
      .join(', ') + (manifest.runs.length > 5 ? ', ...' : '');
  const empty = (c: string): Check => ({ field: c, bad: `${c} IS NULL OR trim(${c}) = ''`, message: `'is empty'` });
  const checks: Check[] = [
    ...['run_id', 'stage', 'step', 'topic', 'prompt_id', 'generation'].map(empty),
    {
      field: 'run_id',
      bad: `run_id IS NOT NULL AND trim(run_id) <> '' AND NOT run_known`,
      message: `'unknown run ' || ${q('run_id')} || '; the manifest lists ' || ${sqlString(runList)}`,
    },
    {
      field: 'stage',
      bad: `run_known AND stage IS NOT NULL AND NOT stage_known`,
      message: `'run ' || ${q('run_id')} || ' has no stage ' || ${q('stage')} || '; its stages are ' ||
        (SELECT string_agg(stage_name, ', ') FROM ${MANIFEST_STAGES} ms WHERE ms.run_key = ${TYPED}.run_id)`,
    },
    ...integerChecks('step', 'step', 'step_num'),
    ...integerChecks('generation', 'generation', 'gen_num'),
    ...probabilityChecks('p_support', 'p_support', 'ps', isProb),
    ...probabilityChecks('p_neutral', 'p_neutral', 'pn', isProb),
    ...probabilityChecks('p_oppose', 'p_oppose', 'po', isProb),
    {
      field: 'p_support, p_neutral, p_oppose',
      bad: `${isProb} AND ps BETWEEN 0 AND 1 AND pn BETWEEN 0 AND 1 AND po BETWEEN 0 AND 1 AND abs(ps + pn + po - 1) > ${PROB_SUM_TOLERANCE}`,
      message: `'sum to ' || CAST(round(ps + pn + po, 6) AS VARCHAR) || '; they must sum to 1 within ${PROB_SUM_TOLERANCE}'`,
    },
    {
      field: 'stance',
      bad: `NOT (${isProb}) AND (stance IS NULL OR trim(stance) = '')`,
      message: `'is empty; give support, neutral or oppose (or a label mapped in the manifest''s "stanceLabels")'`,
    },
    {
      field: 'stance',
      bad: `stance IS NOT NULL AND trim(stance) <> '' AND stance_canonical IS NULL`,
      message: `'unknown stance label ' || ${q('stance')} || '; use support, neutral or oppose, or map the label in the manifest''s "stanceLabels"'`,
    },
  ];

  const problems: Problem[] = [];
  let count = 0;
  const lineMaps = new Map<number, Map<number, number>>();
  const locate = (fileIdx: number, rowNo: number) => {
    const f = staged[fileIdx];
    if (!f) throw new Error(`no staged file ${fileIdx}`);
    return { file: f.spec.path, line: lineMaps.get(fileIdx)?.get(rowNo) ?? rowNo + f.lineOffset, lineKind: f.lineKind };
  };
  /** Readers skip blank lines, so record numbers become physical lines only by reading the file. */
  const mapLines = async (refs: [number, number][]) => {
    const byFile = new Map<number, Set<number>>();
    for (const [f, r] of refs) byFile.set(f, (byFile.get(f) ?? new Set()).add(r));
    for (const [f, records] of byFile) {
      const file = staged[f];
      if (file && file.spec.format !== 'parquet') lineMaps.set(f, await physicalLines(file.spec.absPath, file.spec.format, records));
    }
  };
  const fieldName = (fileIdx: number, field: string) => {
    const cols = staged[fileIdx]?.spec.columns ?? {};
    return field
      .split(', ')
      .map((c) => {
        const src = (cols as Record<string, string | undefined>)[c];
        return src && src !== c ? `${src} (${c})` : c;
      })
      .join(', ');
  };

  // One scan computes every check's count; rows are fetched only for checks that fail.
  const counts = (
    await queryOn(conn, `SELECT ${checks.map((c, i) => `count(*) FILTER (WHERE ${c.bad}) AS c${i}`).join(', ')} FROM ${TYPED}`)
  )[0] as Record<string, number>;
  for (const [i, c] of checks.entries()) {
    const n = Number(counts[`c${i}`] ?? 0);
    if (!n) continue;
    count += n;
    if (problems.length >= MAX_PROBLEMS) continue;
    const rows = await queryOn(
      conn,
      `SELECT file_idx, row_no, ${c.message} AS message FROM ${TYPED} WHERE ${c.bad} ORDER BY file_idx, row_no LIMIT ${MAX_PROBLEMS - problems.length}`,
    );
    await mapLines(rows.map((r) => [Number(r.file_idx), Number(r.row_no)]));
    for (const r of rows) {
      problems.push({
        ...locate(Number(r.file_idx), Number(r.row_no)),
        field: fieldName(Number(r.file_idx), c.field),
        message: String(r.message),
      });
    }
  }
  if (count) throw new BundleError(problems, count);

  // Duplicates only make sense once every key is valid.
  const dupCount = Number(
    (
      await queryOn(
        conn,
        `SELECT count(*) AS n FROM (SELECT count(*) AS k FROM ${TYPED} GROUP BY run_id, stage, step_num, topic, prompt_id, gen_num HAVING k > 1)`,
      )
    )[0]?.n ?? 0,
  );
  if (dupCount) {
    const rows = await queryOn(
      conn,
      `SELECT file_idx, row_no, first_file, first_row FROM (
         SELECT file_idx, row_no,
           first_value(file_idx) OVER w AS first_file, first_value(row_no) OVER w AS first_row,
           row_number() OVER w AS k
         FROM ${TYPED}
         WINDOW w AS (PARTITION BY run_id, stage, step_num, topic, prompt_id, gen_num ORDER BY file_idx, row_no))
       WHERE k > 1 ORDER BY file_idx, row_no LIMIT ${MAX_PROBLEMS}`,
    );
    await mapLines(
      rows.flatMap(
        (r) =>
          [
            [Number(r.file_idx), Number(r.row_no)],
            [Number(r.first_file), Number(r.first_row)],
          ] as [number, number][],
      ),
    );
    for (const r of rows) {
      const first = locate(Number(r.first_file), Number(r.first_row));
      problems.push({
        ...locate(Number(r.file_idx), Number(r.row_no)),
        field: 'run_id, stage, step, topic, prompt_id, generation',
        message: `duplicate observation: the same run, stage, step, topic, prompt and generation as ${first.file} ${first.lineKind} ${first.line}`,
      });
    }
    throw new BundleError(problems, dupCount);
  }
  return total;
}
