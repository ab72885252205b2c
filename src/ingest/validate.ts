/**
 * The diagnosis: applies the row rules of rules.ts to the staged files, each rule reporting up
 * to MAX_PROBLEMS offending rows with the file, line and field and counting the rest; then
 * looks for duplicate observations.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOn } from '../db/client';
import { sqlString } from '../db/sql';
import { BundleError, MAX_PROBLEMS, type Problem } from './errors';
import type { Manifest } from './manifest';
import { rowRules } from './rules';
import { physicalLines, type StagedFile } from './stage';
import { IDS, typedRelation, typedSelect } from './typed';

/** The staged rows as the typed relation, with row numbers and raw values. */
export const TYPED = 'ingest_typed';

export async function validate(conn: DuckDBConnection, manifest: Manifest, staged: StagedFile[]): Promise<number> {
  const selects = staged.map((f, i) => typedSelect(i, f.spec, f.columns, `(SELECT *, rowid + 1 AS ingest_row_no FROM ${f.table})`, true));
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${TYPED} AS SELECT * FROM ${typedRelation(selects)}`);
  for (const f of staged) await conn.run(`DROP TABLE IF EXISTS ${f.table}`);

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
  const checks = rowRules(
    sqlString(runList),
    `(SELECT string_agg(x.stage_name, ', ' ORDER BY x.stage_id) FROM ${IDS} x WHERE x.run_key = ${TYPED}.run_key)`,
  );

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
    await queryOn(
      conn,
      `SELECT ${checks.map((c, i) => `count(*) FILTER (WHERE coalesce(${c.bad}, false)) AS c${i}`).join(', ')} FROM ${TYPED}`,
    )
  )[0] as Record<string, number>;
  for (const [i, c] of checks.entries()) {
    const n = Number(counts[`c${i}`] ?? 0);
    if (!n) continue;
    count += n;
    if (problems.length >= MAX_PROBLEMS) continue;
    const rows = await queryOn(
      conn,
      `SELECT file_idx, row_no, ${c.message} AS message FROM ${TYPED} WHERE coalesce(${c.bad}, false) ORDER BY file_idx, row_no LIMIT ${MAX_PROBLEMS - problems.length}`,
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
        `SELECT count(*) AS n FROM (SELECT count(*) AS k FROM ${TYPED} GROUP BY run_key, stage_name, step_num, topic, prompt_id, gen_num HAVING k > 1)`,
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
         WINDOW w AS (PARTITION BY run_key, stage_name, step_num, topic, prompt_id, gen_num ORDER BY file_idx, row_no))
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
