/**
 * Reads a bundle's observation files into one staging table with DuckDB's own readers
 * (read_csv / read_json / read_parquet), all values kept as text so that validation can name the
 * exact raw value that is wrong. Temp tables live on the write connection and never touch the
 * database file.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fs from 'node:fs';
import readline from 'node:readline';
import { queryOn } from '../db/client';
import { sqlIdent } from '../db/sql';
import { BundleError, type Problem } from './errors';
import { fileColumns, readerSql } from './readers';
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

/** A CSV header read as one column but holding another separator: say how to declare it. */
function delimiterHint(f: FileSpec, columns: string[]): string {
  if (f.format !== 'csv' || columns.length !== 1) return '';
  const sep = [';', '\t', '|'].find((d) => columns[0]!.includes(d));
  return sep
    ? `; the header looks ${sep === '\t' ? 'tab' : sep}-separated: set "delimiter": ${JSON.stringify(sep)} for this file in the manifest`
    : '';
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

export async function stageFiles(conn: DuckDBConnection, files: FileSpec[], progress: (msg: string) => void): Promise<StagedFile[]> {
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
      const columns = await fileColumns(conn, f);
      await conn.run(`CREATE TEMP TABLE ${raw} AS SELECT * FROM ${readerSql(f, columns, () => 'VARCHAR')}`);
    } catch (err) {
      const problem = readFailure(f, err as Error);
      if (f.format === 'jsonl') {
        // DuckDB's JSON reader reports line numbers one too high; find the line ourselves
        const bad = await firstBadJsonLine(f.absPath);
        if (bad) problem.line = bad;
      }
      problems.push(problem);
      continue;
    }
    const present = new Set(
      (await queryOn(conn, `SELECT column_name FROM duckdb_columns() WHERE table_name = '${raw}'`)).map((r) => String(r.column_name)),
    );
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
        message: `required column${missingKeys.length > 1 ? 's' : ''} missing (columns present: ${[...present].join(', ')}); rename them or map them with "columns" in the manifest${delimiterHint(f, [...present])}`,
      });
    }
    if (!hasProbabilities && !hasStance) {
      problems.push({
        file: f.path,
        message: `needs either p_support, p_neutral and p_oppose or a stance column (columns present: ${[...present].join(', ')})`,
      });
    }
    if (missingKeys.length || (!hasProbabilities && !hasStance)) {
      await conn.run(`DROP TABLE ${raw}`);
      continue;
    }
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

async function firstBadJsonLine(file: string): Promise<number | undefined> {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const l of rl) {
      n++;
      if (!l.trim()) continue;
      try {
        const v: unknown = JSON.parse(l);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return n;
      } catch {
        return n;
      }
    }
  } finally {
    rl.close();
  }
  return undefined;
}

/**
 * Physical 1-based line numbers of the given data records (1-based, header excluded) of a CSV or
 * JSONL file. DuckDB's readers skip blank lines and CSV fields may hold quoted newlines, so a
 * record number is not a line number; this reads the file once to translate.
 */
export async function physicalLines(file: string, format: 'csv' | 'jsonl', records: Set<number>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let line = 0;
  let record = format === 'csv' ? -1 : 0; // the CSV header is record 0
  let inQuotes = false;
  try {
    for await (const text of rl) {
      line++;
      if (!inQuotes && text.trim() !== '') {
        record++;
        if (records.has(record)) out.set(record, line);
        if (out.size === records.size) break;
      }
      if (format === 'csv' && (text.split('"').length - 1) % 2 === 1) inQuotes = !inQuotes;
    }
  } finally {
    rl.close();
  }
  return out;
}
