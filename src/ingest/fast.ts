/**
 * The fast path of ingest. Files are read by DuckDB's readers and never copied into a staging
 * table: one aggregate scan checks every row against the rules (rules.ts) and collects the
 * distinct prompts, then the insert reads the files again (a second columnar scan is cheaper
 * than materialising millions of rows). The scan only answers "is everything valid?"; when it
 * is not (or a reader throws), ingest runs the diagnosis in stage.ts/validate.ts, which applies
 * the same rules to the same typed relation, with row numbers, to name file, line and field.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fs from 'node:fs';
import { queryOn } from '../db/client';
import { sqlString } from '../db/sql';
import { KEY_COLUMNS, type Manifest } from './manifest';
import { fileSchema, readerSql, repeatedNames } from './readers';
import { anyBroken, rowRules } from './rules';
import { IDS, LABELS, hasProbabilities, typedRelation, typedSelect } from './typed';

/** Distinct (topic, prompt_id) of the bundle, from the validation scan. */
export const PROMPTS = 'ingest_prompts';
export { IDS, LABELS };

/** Fills LABELS with every accepted stance label of the manifest. */
export async function createLabels(conn: DuckDBConnection, manifest: Manifest): Promise<void> {
  const labels = [...manifest.stanceLabels];
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${LABELS} (label VARCHAR, stance VARCHAR)`);
  await conn.run(`INSERT INTO ${LABELS} VALUES ${labels.map(([l, s]) => `(${sqlString(l)}, ${sqlString(s)})`).join(', ')}`);
}

/**
 * SQL of the bundle's rows as the typed relation of rules.ts, plus run_id and stage_id; or null
 * when a file is empty, repeats a column or lacks required columns (the diagnosis says which).
 */
export async function sourceSql(conn: DuckDBConnection, manifest: Manifest): Promise<string | null> {
  await createLabels(conn, manifest);
  const selects: string[] = [];
  for (const [i, f] of manifest.files.entries()) {
    if (fs.statSync(f.absPath).size === 0) return null;
    const columns = await fileSchema(conn, f);
    if (repeatedNames(columns).length) return null;
    const present = new Set(columns.map((c) => c.name));
    if (KEY_COLUMNS.some((c) => !present.has(f.columns[c] ?? c))) return null;
    if (!hasProbabilities(f, columns) && !present.has(f.columns.stance ?? 'stance')) return null;
    selects.push(typedSelect(i, f, columns, readerSql(f, columns), false));
  }
  return typedRelation(selects);
}

/**
 * One scan: rows, rows breaking any rule (duplicates are caught by the prompt-mean
 * aggregation), and the distinct prompts into PROMPTS.
 */
export async function scanSource(conn: DuckDBConnection, source: string): Promise<{ rows: number; bad: number }> {
  const rules = rowRules();
  const perRow = anyBroken(rules.filter((r) => !r.perPrompt));
  const perPrompt = anyBroken(rules.filter((r) => r.perPrompt));
  // CASE WHEN, not FILTER: its condition is evaluated with short-circuiting AND / OR (rules.ts)
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${PROMPTS} AS
    SELECT topic, prompt_id, count(*) AS rows, sum(CASE WHEN ${perRow} THEN 1 ELSE 0 END) AS bad FROM ${source} s GROUP BY topic, prompt_id`);
  const [r] = await queryOn(
    conn,
    `SELECT coalesce(sum(rows), 0) AS rows, coalesce(sum(CASE WHEN ${perPrompt} THEN rows ELSE bad END), 0) AS bad FROM ${PROMPTS}`,
  );
  return { rows: Number(r?.rows ?? 0), bad: Number(r?.bad ?? 0) };
}
