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

/** Column names of a file: the CSV header, the JSON keys, or the Parquet schema. */
export async function fileColumns(conn: DuckDBConnection, f: FileSpec): Promise<string[]> {
  if (f.format === 'csv') return csvHeader(f);
  const p = sqlString(f.absPath);
  const probe = f.format === 'jsonl' ? `read_json(${p}, format = 'newline_delimited', records = true)` : `read_parquet(${p})`;
  return (await queryOn(conn, `DESCRIBE SELECT * FROM ${probe}`)).map((r) => String(r.column_name));
}

/**
 * The table function reading `f` with the given column types (CSV and JSONL; Parquet files
 * carry their own types and are cast where they are used).
 */
export function readerSql(f: FileSpec, columns: string[], typeOf: (column: string) => string): string {
  const p = sqlString(f.absPath);
  const cols = `{${columns.map((c) => `${sqlString(c)}: ${sqlString(typeOf(c))}`).join(', ')}}`;
  switch (f.format) {
    case 'csv':
      return `read_csv(${p}, header = true, auto_detect = false, delim = ${sqlString(csvDelimiter(f))}, quote = '"', escape = '"', strict_mode = true, columns = ${cols})`;
    case 'jsonl':
      return `read_json(${p}, format = 'newline_delimited', records = true, columns = ${cols})`;
    case 'parquet':
      return `read_parquet(${p})`;
  }
}
