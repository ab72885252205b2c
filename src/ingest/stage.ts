/**
 * Reads a bundle's observation files into one staging table with DuckDB's own readers
 * (read_csv / read_json / read_parquet), all values kept as text so that validation can name the
 * exact raw value that is wrong. Temp tables live on the write connection and never touch the
 * database file.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOn } from '../db/client';
import { sqlIdent, sqlString } from '../db/sql';
import { BundleError, type Problem } from './errors';
import { KEY_COLUMNS, PROB_COLUMNS, type CanonicalColumn, type FileSpec } from './manifest';

export const STAGING = 'ingest_staging';

export interface StagedFile {
  spec: FileSpec;
  rows: number;
  hasProbabilities: boolean;
  lineKind: 'line' | 'row';
  /** Added to the 1-based row number to give the line/row users see. */
  lineOffset: number;
}

function readerSql(f: FileSpec): string {
  const p = sqlString(f.absPath);
  switch (f.format) {
    case 'csv':
      return `read_csv(${p}, header = true, all_varchar = true, strict_mode = true${f.delimiter ? `, delim = ${sqlString(f.delimiter)}` : ''})`;
    case 'jsonl':
      return `read_json(${p}, format = 'newline_delimited', records = true)`;
    case 'parquet':
      return `read_parquet(${p})`;
  }
}

function readFailure(f: FileSpec, err: Error): Problem {
  const msg = err.message;
  const line = /(?:Line|line)\s*:?\s*(\d+)/.exec(msg);
  const firstLines = msg
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 3)
    .join('; ');
  return {
    file: f.path,
    line: line ? Number(line[1]) : undefined,
    message: `cannot be read as ${f.format.toUpperCase()}: ${firstLines}`,
  };
}

export async function stageFiles(
  conn: DuckDBConnection,
  files: FileSpec[],
  progress: (msg: string) => void,
): Promise<StagedFile[]> {
  await conn.run(`DROP TABLE IF EXISTS ${STAGING}`);
  await conn.run(
    `CREATE TEMP TABLE ${STAGING} (file_idx INTEGER, row_no BIGINT, run_id VARCHAR, stage VARCHAR, step VARCHAR, topic VARCHAR,
      prompt_id VARCHAR, generation VARCHAR, p_support VARCHAR, p_neutral VARCHAR, p_oppose VARCHAR, stance VARCHAR)`,
  );
  const staged: StagedFile[] = [];
  const problems: Problem[] = [];
  for (const [i, f] of files.entries()) {
    const raw = `ingest_raw_${i}`;
    const started = Date.now();
    progress(`reading ${f.path} (${f.format})`);
    try {
      await conn.run(`DROP TABLE IF EXISTS ${raw}`);
      await conn.run(`CREATE TEMP TABLE ${raw} AS SELECT * FROM ${readerSql(f)}`);
    } catch (err) {
      problems.push(readFailure(f, err as Error));
      continue;
    }
    const present = new Set((await queryOn(conn, `SELECT column_name FROM duckdb_columns() WHERE table_name = '${raw}'`)).map((r) => String(r.column_name)));
    const source = (c: CanonicalColumn): string => f.columns[c] ?? c;
    const missing = (cols: readonly CanonicalColumn[]) => cols.filter((c) => !present.has(source(c)));
    const mapped = (c: CanonicalColumn) => (source(c) === c ? c : `${source(c)} (mapped to ${c})`);
    const missingKeys = missing(KEY_COLUMNS);
    const hasProbabilities = missing(PROB_COLUMNS).length === 0;
    const hasStance = present.has(source('stance'));
    if (missingKeys.length) {
      problems.push({
        file: f.path,
        field: missingKeys.map(mapped).join(', '),
        message: `required column${missingKeys.length > 1 ? 's' : ''} missing (columns present: ${[...present].join(', ')}); rename them or map them with "columns" in the manifest`,
      });
    }
    if (!hasProbabilities && !hasStance) {
      problems.push({
        file: f.path,
        message: `needs either p_support, p_neutral and p_oppose or a stance column (columns present: ${[...present].join(', ')})`,
      });
    }
    if (missingKeys.length || (!hasProbabilities && !hasStance)) { await conn.run(`DROP TABLE ${raw}`); continue; }
    const col = (c: CanonicalColumn) => `CAST(${sqlIdent(source(c))} AS VARCHAR)`;
    const prob = (c: CanonicalColumn) => (hasProbabilities ? col(c) : 'NULL');
    await conn.run(
      `INSERT INTO ${STAGING} SELECT ${i}, rowid + 1, ${KEY_COLUMNS.map(col).join(', ')},
        ${PROB_COLUMNS.map(prob).join(', ')}, ${hasProbabilities ? 'NULL' : col('stance')} FROM ${raw}`,
    );
    const rows = Number((await queryOn(conn, `SELECT count(*) AS n FROM ${raw}`))[0]?.n ?? 0);
    await conn.run(`DROP TABLE ${raw}`);
    progress(`  ${rows.toLocaleString('en-US')} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    staged.push({
      spec: f,
      rows,
      hasProbabilities,
      lineKind: f.format === 'parquet' ? 'row' : 'line',
      lineOffset: f.format === 'csv' ? 1 : 0,
    });
  }
  if (problems.length) throw new BundleError(problems);
  return staged;
}
