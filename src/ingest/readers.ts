/**
 * How each observation file is read. Both passes of ingest (the fast typed scan and the text
 * diagnosis) use these, so they agree on dialect and columns: no sniffing of CSV dialects
 * (a `;` file needs `"delimiter": ";"` in the manifest) and no type inference from a sample
 * of JSON lines (which could round later values to a guessed integer type).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fs from 'node:fs';
import { queryOn } from '../db/client';
import { sqlString } from '../db/sql';
import type { FileSpec } from './manifest';

export function csvDelimiter(f: FileSpec): string {
  return f.delimiter ?? (f.absPath.toLowerCase().endsWith('.tsv') ? '\t' : ',');
}

/** The header of a CSV file, split on its delimiter (quotes honoured). */
export function csvHeader(f: FileSpec): string[] {
  const delim = csvDelimiter(f);
  const fd = fs.openSync(f.absPath, 'r');
  const buf = Buffer.alloc(1 << 16);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const first =
    buf
      .subarray(0, n)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)[0] ?? '';
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < first.length; i++) {
    const ch = first[i]!;
    if (quoted) {
      if (ch === '"' && first[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delim) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export interface ColumnInfo {
  name: string;
  /** How the column is read: VARCHAR for CSV, JSON for JSONL, the stored type for Parquet. */
  type: string;
}

/** Columns of a file: the CSV header, the JSON keys, or the Parquet schema. */
export async function fileSchema(conn: DuckDBConnection, f: FileSpec): Promise<ColumnInfo[]> {
  if (f.format === 'csv') return csvHeader(f).map((name) => ({ name, type: 'VARCHAR' }));
  const p = sqlString(f.absPath);
  const probe = f.format === 'jsonl' ? `read_json(${p}, format = 'newline_delimited', records = true)` : `read_parquet(${p})`;
  return (await queryOn(conn, `DESCRIBE SELECT * FROM ${probe}`)).map((r) => ({
    name: String(r.column_name),
    type: f.format === 'jsonl' ? 'JSON' : String(r.column_type),
  }));
}

/** Names that occur more than once, with their 1-based positions. */
export function repeatedNames(columns: ColumnInfo[]): [string, number[]][] {
  const at = new Map<string, number[]>();
  columns.forEach((c, i) => at.set(c.name, [...(at.get(c.name) ?? []), i + 1]));
  return [...at].filter(([, positions]) => positions.length > 1);
}

/**
 * The table function reading `f`: CSV columns as text and JSONL values as JSON, so that rules
 * see what was written (typed.ts); Parquet files carry their own types.
 */
export function readerSql(f: FileSpec, columns: ColumnInfo[]): string {
  const p = sqlString(f.absPath);
  const cols = `{${columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ')}}`;
  switch (f.format) {
    case 'csv':
      return `read_csv(${p}, header = true, auto_detect = false, delim = ${sqlString(csvDelimiter(f))}, quote = '"', escape = '"', strict_mode = true, columns = ${cols})`;
    case 'jsonl':
      return `read_json(${p}, format = 'newline_delimited', records = true, columns = ${cols})`;
    case 'parquet':
      return `read_parquet(${p})`;
  }
}
