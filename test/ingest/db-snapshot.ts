/**
 * A fingerprint of every table in a database file: row count plus an order-independent checksum
 * of the rows, and for the small catalogue tables the full ordered rows as text, so that a
 * failed assertion shows what changed.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DriftDb } from '../../src/db/client';

export const INGEST_TABLES = [
  'labs',
  'datasets',
  'runs',
  'stages',
  'topics',
  'prompts',
  'observations',
  'prompt_means',
  'checkpoint_values',
  'meta',
] as const;

const SMALL = new Set(['labs', 'datasets', 'runs', 'stages', 'topics', 'meta']);

export interface TableFingerprint {
  rows: number;
  checksum: string;
  text?: string;
}

export type DbSnapshot = Record<string, TableFingerprint>;

function tableSql(t: string): string {
  const row = `CAST(t AS VARCHAR)`;
  const text = SMALL.has(t) ? `, string_agg(${row}, E'\\n' ORDER BY ${row}) AS text` : '';
  return `SELECT count(*) AS n, CAST(coalesce(sum(hash(${row})), 0) AS VARCHAR) AS checksum${text} FROM "${t}" t`;
}

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

async function snapshotWith(query: Query): Promise<DbSnapshot> {
  const tables = (
    await query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1`)
  ).map((r) => String(r.table_name));
  for (const t of INGEST_TABLES) if (!tables.includes(t)) throw new Error(`table ${t} missing from the database`);
  const out: DbSnapshot = {};
  for (const t of tables) {
    const [r] = await query(tableSql(t));
    out[t] = { rows: Number(r?.n ?? 0), checksum: String(r?.checksum), ...(r && 'text' in r ? { text: String(r.text ?? '') } : {}) };
  }
  return out;
}

/** Fingerprint through an open DriftDb (its read pool sees committed data only). */
export function snapshot(db: DriftDb): Promise<DbSnapshot> {
  return snapshotWith((sql) => db.query(sql));
}

/** Fingerprint of a database file nobody holds open (e.g. after a CLI run). */
export async function snapshotFile(file: string): Promise<DbSnapshot> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return await snapshotWith(async (sql) => {
      const reader = await conn.runAndReadAll(sql);
      return reader
        .getRowObjectsJS()
        .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
    });
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export function rowCounts(s: DbSnapshot): Record<string, number> {
  return Object.fromEntries(Object.entries(s).map(([t, f]) => [t, f.rows]));
}
