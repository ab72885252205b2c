/**
 * The diagnosis' reading of a bundle: each observation file is copied into a temp table (so
 * that rows get numbers) with the same readers and column types as the fast path, and every
 * problem that keeps a file from being read at all (unreadable, empty, repeated or missing
 * columns) is reported with the file and, where the reader says, the line. Temp tables live on
 * the write connection and never touch the database file.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fs from 'node:fs';
import readline from 'node:readline';
import { queryOn } from '../db/client';
import { BundleError, type Problem } from './errors';
import { KEY_COLUMNS, type CanonicalColumn, type FileSpec } from './manifest';
import { fileSchema, readerSql, repeatedNames, type ColumnInfo } from './readers';
import { hasProbabilities } from './typed';

/** The temp table holding file `i` as read. */
export const rawTable = (i: number) => `ingest_raw_${i}`;

export interface StagedFile {
  spec: FileSpec;
  columns: ColumnInfo[];
  table: string;
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

/**
 * A reader's error in plain words: what DuckDB says is for developers (and may quote SQL), so
 * only the line it names is kept, and the reason is told by recognising the common cases.
 */
function readFailure(f: FileSpec, err: Error): Problem {
  const msg = err.message;
  const line = /(?:Line|line)\s*:?\s*(\d+)/.exec(msg);
  let reason = 'the file is malformed';
  if (f.format === 'csv') {
    if (/Expected Number of Columns|too many columns|too few columns|columns? (?:were|was) expected/i.test(msg)) {
      reason = `a row does not have as many fields as the header (delimiter ${JSON.stringify(f.delimiter ?? ',')})`;
    } else if (/quote|unterminated/i.test(msg)) reason = 'a quoted field is not closed';
    else if (/unicode|utf-?8|encoding/i.test(msg)) reason = 'the file is not valid UTF-8 text';
  } else if (f.format === 'jsonl') {
    reason = /unicode|utf-?8|encoding/i.test(msg) ? 'the file is not valid UTF-8 text' : 'a line is not a JSON object';
  } else {
    reason = 'the file is not a valid Parquet file';
  }
  return { file: f.path, line: line ? Number(line[1]) : undefined, message: `cannot be read as ${f.format.toUpperCase()}: ${reason}` };
}

export async function stageFiles(conn: DuckDBConnection, files: FileSpec[], progress: (msg: string) => void): Promise<StagedFile[]> {
  const staged: StagedFile[] = [];
  const problems: Problem[] = [];
  for (const [i, f] of files.entries()) {
    const raw = rawTable(i);
    const started = Date.now();
    progress(`reading ${f.path} (${f.format})`);
    await conn.run(`DROP TABLE IF EXISTS ${raw}`);
    if (fs.statSync(f.absPath).size === 0) {
      problems.push({
        file: f.path,
        message: `is empty (0 bytes); an observation file needs ${f.format === 'csv' ? 'a header and ' : ''}at least one row`,
      });
      continue;
    }
    let columns: ColumnInfo[];
    try {
      columns = await fileSchema(conn, f);
      const repeated = repeatedNames(columns);
      if (repeated.length) {
        for (const [name, at] of repeated) {
          problems.push({
            file: f.path,
            line: f.format === 'csv' ? 1 : undefined,
            field: name,
            message: `the header names column "${name}" ${at.length} times (columns ${at.join(', ')}); each column must appear once`,
          });
        }
        continue;
      }
      await conn.run(`CREATE TEMP TABLE ${raw} AS SELECT * FROM ${readerSql(f, columns)}`);
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
    const present = new Set(columns.map((c) => c.name));
    const source = (c: CanonicalColumn): string => f.columns[c] ?? c;
    const mapped = (c: CanonicalColumn) => (source(c) === c ? c : `${source(c)} (mapped to ${c})`);
    const missingKeys = KEY_COLUMNS.filter((c) => !present.has(source(c)));
    const probs = hasProbabilities(f, columns);
    const hasStance = present.has(source('stance'));
    if (missingKeys.length) {
      problems.push({
        file: f.path,
        field: missingKeys.map(mapped).join(', '),
        message: `required column${missingKeys.length > 1 ? 's' : ''} missing (columns present: ${[...present].join(', ')}); rename them or map them with "columns" in the manifest${delimiterHint(f, [...present])}`,
      });
    }
    if (!probs && !hasStance) {
      problems.push({
        file: f.path,
        message: `needs either p_support, p_neutral and p_oppose or a stance column (columns present: ${[...present].join(', ')})`,
      });
    }
    if (missingKeys.length || (!probs && !hasStance)) {
      await conn.run(`DROP TABLE ${raw}`);
      continue;
    }
    const rows = Number((await queryOn(conn, `SELECT count(*) AS n FROM ${raw}`))[0]?.n ?? 0);
    progress(`  ${rows.toLocaleString('en-US')} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    staged.push({
      spec: f,
      columns,
      table: raw,
      rows,
      hasProbabilities: probs,
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
