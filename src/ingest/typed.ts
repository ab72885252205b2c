/**
 * The typed relation the rules (rules.ts) are written over, built the same way for the fast scan
 * and for the diagnosis. Values are checked, never coerced: a JSON `true` is not the probability
 * 1, `1e-400` is not the step 0, a JSON object is not a topic. A value of the wrong kind sets
 * <column>_wrong and the rules refuse the row.
 */
import { sqlIdent } from '../db/sql';
import { KEY_COLUMNS, PROB_COLUMNS, type CanonicalColumn, type FileSpec } from './manifest';
import type { ColumnInfo } from './readers';
import { INT_COLUMNS, PROB_VALUES, TEXT_COLUMNS } from './rules';

/** Manifest run and stage names with ids (created by ingest before any scan). */
export const IDS = 'ingest_ids';
/** Accepted stance labels -> canonical stance. */
export const LABELS = 'ingest_labels';

interface Typed {
  value: string;
  wrong: string;
  raw: string;
}

const INTEGER_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const NUMERIC_TYPES = /^(FLOAT|DOUBLE|DECIMAL.*)$/;
const JSON_INTEGER = `('BIGINT', 'UBIGINT')`;
/** Digits only (surrounding blanks allowed): what is left after stripping digits is blank. */
const DIGITS = (x: string) => `(trim(${x}) <> '' AND ltrim(trim(${x}), '0123456789') = '')`;

/** Text as written: JSON strings unquoted, anything else in its JSON form. */
const jsonText = (x: string) => `CASE json_type(${x}) WHEN 'VARCHAR' THEN ${x}->>'$' ELSE CAST(${x} AS VARCHAR) END`;

function text(format: FileSpec['format'], x: string, type: string): Typed {
  if (format === 'jsonl') {
    return {
      value: jsonText(x),
      wrong: `coalesce(json_type(${x}) NOT IN ('VARCHAR', ${JSON_INTEGER.slice(1, -1)}), false)`,
      raw: jsonText(x),
    };
  }
  if (type === 'VARCHAR') return { value: x, wrong: 'false', raw: x };
  const v = `CAST(${x} AS VARCHAR)`;
  return { value: v, wrong: INTEGER_TYPES.test(type) ? 'false' : `${x} IS NOT NULL`, raw: v };
}

function integer(format: FileSpec['format'], x: string, type: string): Typed {
  if (format === 'jsonl') {
    return {
      value: `CASE WHEN json_type(${x}) IN ${JSON_INTEGER} THEN CAST(${x} AS DOUBLE) END`,
      wrong: `coalesce(json_type(${x}) NOT IN ${JSON_INTEGER}, false)`,
      raw: `CAST(${x} AS VARCHAR)`,
    };
  }
  if (type === 'VARCHAR') {
    return {
      value: `CASE WHEN ${DIGITS(x)} THEN CAST(trim(${x}) AS DOUBLE) END`,
      wrong: `coalesce(trim(${x}) <> '' AND NOT ${DIGITS(x)}, false)`,
      raw: x,
    };
  }
  // Parquet: integer columns as they are; floating columns must hold integral values (a rule).
  if (INTEGER_TYPES.test(type) || NUMERIC_TYPES.test(type))
    return { value: `CAST(${x} AS DOUBLE)`, wrong: 'false', raw: `CAST(${x} AS VARCHAR)` };
  return { value: 'CAST(NULL AS DOUBLE)', wrong: `${x} IS NOT NULL`, raw: `CAST(${x} AS VARCHAR)` };
}

function probability(format: FileSpec['format'], x: string, type: string): Typed {
  if (format === 'jsonl') {
    const ok = `${JSON_INTEGER.slice(0, -1)}, 'DOUBLE')`;
    return {
      value: `CASE WHEN json_type(${x}) IN ${ok} THEN CAST(${x} AS DOUBLE) END`,
      wrong: `coalesce(json_type(${x}) NOT IN ${ok}, false)`,
      raw: `CAST(${x} AS VARCHAR)`,
    };
  }
  if (type === 'VARCHAR') {
    return { value: `TRY_CAST(${x} AS DOUBLE)`, wrong: `coalesce(trim(${x}) <> '' AND TRY_CAST(${x} AS DOUBLE) IS NULL, false)`, raw: x };
  }
  if (INTEGER_TYPES.test(type) || NUMERIC_TYPES.test(type))
    return { value: `CAST(${x} AS DOUBLE)`, wrong: 'false', raw: `CAST(${x} AS VARCHAR)` };
  return { value: 'CAST(NULL AS DOUBLE)', wrong: `${x} IS NOT NULL`, raw: `CAST(${x} AS VARCHAR)` };
}

function stanceText(format: FileSpec['format'], x: string, type: string): Typed {
  if (format === 'jsonl') return { value: jsonText(x), wrong: `coalesce(json_type(${x}) <> 'VARCHAR', false)`, raw: jsonText(x) };
  if (type === 'VARCHAR') return { value: x, wrong: 'false', raw: x };
  return { value: `CAST(${x} AS VARCHAR)`, wrong: `${x} IS NOT NULL`, raw: `CAST(${x} AS VARCHAR)` };
}

/** Whether a file has the probability columns (else it needs a stance column). */
export function hasProbabilities(f: FileSpec, columns: ColumnInfo[]): boolean {
  const present = new Set(columns.map((c) => c.name));
  return PROB_COLUMNS.every((c) => present.has(f.columns[c] ?? c));
}

/**
 * SELECT of one file's rows as the typed relation (without run_known / stage_known, which
 * `typedRelation` adds). `from` reads the file (a reader call, or a staged table that also has
 * ingest_row_no when `withRaw`). With `withRaw`, adds row_no and <column>_raw for messages.
 */
export function typedSelect(i: number, f: FileSpec, columns: ColumnInfo[], from: string, withRaw: boolean): string {
  const typeOf = new Map(columns.map((c) => [c.name, c.type]));
  const probs = hasProbabilities(f, columns);
  const src = (c: CanonicalColumn) => f.columns[c] ?? c;
  const ref = (c: CanonicalColumn) => `r.${sqlIdent(src(c))}`;
  const out: string[] = [`${i} AS file_idx`, `${probs} AS is_prob`];
  if (withRaw) out.push('r.ingest_row_no AS row_no');
  const add = (name: string, wrongName: string, rawName: string, t: Typed) => {
    out.push(`${t.value} AS ${name}`, `${t.wrong} AS ${wrongName}`);
    if (withRaw) out.push(`${t.raw} AS ${rawName}`);
  };
  for (const c of KEY_COLUMNS) {
    const type = typeOf.get(src(c)) ?? 'VARCHAR';
    if (c in TEXT_COLUMNS) add(TEXT_COLUMNS[c as keyof typeof TEXT_COLUMNS], `${c}_wrong`, `${c}_raw`, text(f.format, ref(c), type));
    else add(INT_COLUMNS[c as keyof typeof INT_COLUMNS], `${c}_wrong`, `${c}_raw`, integer(f.format, ref(c), type));
  }
  if (probs) {
    for (const c of PROB_COLUMNS) add(PROB_VALUES[c], `${c}_wrong`, `${c}_raw`, probability(f.format, ref(c), type(c)));
    add('stance', 'stance_wrong', 'stance_raw', { value: 'CAST(NULL AS VARCHAR)', wrong: 'false', raw: 'CAST(NULL AS VARCHAR)' });
    out.push('CAST(NULL AS VARCHAR) AS stance_canonical');
    return `SELECT ${out.join(', ')} FROM ${from} r`;
  }
  // Hard labels become one-hot probabilities; only label files pay for the label join.
  const s = stanceText(f.format, ref('stance'), type('stance'));
  for (const [c, name] of Object.entries(PROB_VALUES)) {
    const stance = c.slice(2);
    add(name, `${c}_wrong`, `${c}_raw`, { value: `CAST(m.stance = '${stance}' AS DOUBLE)`, wrong: 'false', raw: 'CAST(NULL AS VARCHAR)' });
  }
  add('stance', 'stance_wrong', 'stance_raw', s);
  out.push('m.stance AS stance_canonical');
  return `SELECT ${out.join(', ')} FROM ${from} r LEFT JOIN ${LABELS} m ON m.label = ${s.value} AND NOT ${s.wrong}`;

  function type(c: CanonicalColumn): string {
    return typeOf.get(src(c)) ?? 'VARCHAR';
  }
}

/** The union of typed file selects, with run_id / stage_id and run_known / stage_known from IDS. */
export function typedRelation(selects: string[]): string {
  return `(SELECT f.*, i.run_id, i.stage_id, i.stage_id IS NOT NULL AS stage_known, k.run_key IS NOT NULL AS run_known
    FROM (${selects.join('\nUNION ALL\n')}) f
    LEFT JOIN ${IDS} i ON i.run_key = f.run_key AND i.stage_name = f.stage_name
    LEFT JOIN (SELECT DISTINCT run_key FROM ${IDS}) k ON k.run_key = f.run_key)`;
}
