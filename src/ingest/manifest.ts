/**
 * drift-trace/v1 manifest: parsing, validation and normalisation (aliases applied). Every
 * problem is reported against manifest.json with the JSON path of the field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { STAGE_KINDS, STANCES, Visibility, type StageKind, type Stance } from '../domain';
import { BundleError, type Problem } from './errors';

export const FORMAT = 'drift-trace/v1';
export const KEY_COLUMNS = ['run_id', 'stage', 'step', 'topic', 'prompt_id', 'generation'] as const;
export const PROB_COLUMNS = ['p_support', 'p_neutral', 'p_oppose'] as const;
export const CANONICAL_COLUMNS = [...KEY_COLUMNS, ...PROB_COLUMNS, 'stance'] as const;
export type CanonicalColumn = (typeof CANONICAL_COLUMNS)[number];
export const FILE_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

const NUL_MESSAGE = 'contains a NUL character (\\0); names must be plain text';
const nonEmpty = z
  .string()
  .trim()
  .min(1, 'must be a non-empty string')
  .refine((v) => !v.includes('\0'), NUL_MESSAGE);
/** Deepest nesting of objects and lists accepted anywhere in the manifest. */
export const MAX_DEPTH = 64;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
/**
 * A JSON object kept as parsed. zod's record and object copy keys by assignment, which drops a
 * key named "__proto__"; maps of names are checked entry by entry in readManifest instead.
 */
const jsonObject = z.custom<Record<string, unknown>>(isPlainObject, { message: 'must be a JSON object' });

const stageSchema = z.looseObject({
  name: nonEmpty,
  kind: z.enum(STAGE_KINDS, { message: `must be one of ${STAGE_KINDS.join(', ')}` }),
  algorithm: nonEmpty.optional(),
  dataset: nonEmpty.optional(),
  totalSteps: z.number().int('must be an integer').min(0, 'must be >= 0').max(2147483647, 'must be at most 2147483647').optional(),
  hyperparameters: jsonObject.optional(),
});

const runSchema = z.looseObject({
  id: nonEmpty,
  model: nonEmpty,
  seed: z
    .number()
    .int('must be an integer')
    .min(-Number.MAX_SAFE_INTEGER)
    .max(Number.MAX_SAFE_INTEGER, 'must be at most 2^53 - 1')
    .optional(),
  stages: z.array(stageSchema).min(1, 'a run needs at least one stage'),
});

const manifestSchema = z.looseObject({
  format: z.literal(FORMAT, { message: `must be "${FORMAT}"` }),
  dataset: z.looseObject({
    name: nonEmpty,
    lab: nonEmpty,
    version: z
      .string({ message: 'give the version as a string, e.g. "1.10" (as a JSON number 1.10 would become "1.1")' })
      .trim()
      .min(1, 'must be a non-empty string')
      .refine((v) => !v.includes('\0'), NUL_MESSAGE),
    description: z.string().optional(),
    license: z.string().optional(),
    promptSet: z.string().optional(),
    judge: z.string().optional(),
    visibility: z.enum(Object.values(Visibility), { message: 'must be public or private' }).optional(),
  }),
  runs: z.array(runSchema).min(1, 'a bundle needs at least one run'),
  files: z
    .array(
      z.object({
        path: nonEmpty,
        format: z.enum(FILE_FORMATS, { message: `must be one of ${FILE_FORMATS.join(', ')}` }).optional(),
        columns: jsonObject.optional(),
        delimiter: z.string().length(1).optional(),
      }),
    )
    .min(1, 'a bundle needs at least one observation file'),
  columns: jsonObject.optional(),
  stanceLabels: jsonObject.optional(),
  aliases: z.object({ model: jsonObject.optional(), algorithm: jsonObject.optional(), dataset: jsonObject.optional() }).optional(),
});

export type RawManifest = z.infer<typeof manifestSchema>;

export interface StageSpec {
  name: string;
  kind: StageKind;
  algorithm: string | null;
  dataset: string | null;
  totalSteps: number | null;
  hyperparameters: Record<string, unknown> | null;
}

export interface RunSpec {
  key: string;
  model: string;
  seed: number | null;
  metadata: Record<string, unknown>;
  stages: StageSpec[];
}

export interface FileSpec {
  /** As written in the manifest (used in messages). */
  path: string;
  absPath: string;
  format: FileFormat;
  /** canonical column -> column name in the file */
  columns: Partial<Record<CanonicalColumn, string>>;
  delimiter?: string;
}

export interface Manifest {
  dataset: {
    name: string;
    lab: string;
    version: string;
    description: string | null;
    license: string | null;
    promptSet: string | null;
    judge: string | null;
    visibility: Visibility;
  };
  runs: RunSpec[];
  files: FileSpec[];
  /** Every accepted label (the canonical names and the manifest's aliases) -> stance. */
  stanceLabels: Map<string, Stance>;
  raw: unknown;
}

const MANIFEST = 'manifest.json';

function inferFormat(p: string): FileFormat | undefined {
  const ext = path.extname(p).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  return undefined;
}

/** The path of the first value nested deeper than `limit`, or null; iterative, so any depth is safe. */
function deeperThan(root: unknown, limit: number): (string | number)[] | null {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: root, path: [] }];
  while (stack.length) {
    const { v, path: at } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (at.length >= limit) return at;
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, x] of entries) stack.push({ v: x, path: [...at, k] });
  }
  return null;
}

/**
 * The first string (value or key) holding a NUL character: PostgreSQL, which holds the catalogue
 * in cluster mode, cannot store one, so no mode accepts it.
 */
function nulString(root: unknown): (string | number)[] | null {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: root, path: [] }];
  while (stack.length) {
    const { v, path: at } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) return at;
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, x] of entries) {
      if (typeof k === 'string' && k.includes('\0')) return [...at, k];
      stack.push({ v: x, path: [...at, k] });
    }
  }
  return null;
}

function jsonPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** Reads and validates <dir>/manifest.json; throws BundleError listing every problem found. */
export function readManifest(dir: string): Manifest {
  const bundleDir = path.resolve(dir);
  if (!fs.existsSync(bundleDir) || !fs.statSync(bundleDir).isDirectory()) {
    throw new BundleError([{ file: dir, message: 'is not a directory; pass the bundle folder that holds manifest.json' }]);
  }
  const manifestPath = path.join(bundleDir, MANIFEST);
  if (!fs.existsSync(manifestPath)) {
    throw new BundleError([{ file: MANIFEST, message: `not found in ${bundleDir}` }]);
  }
  if (!fs.statSync(manifestPath).isFile()) {
    throw new BundleError([{ file: MANIFEST, message: 'is a folder, not a file; the manifest must be a JSON file' }]);
  }
  let json: unknown;
  const text = fs.readFileSync(manifestPath, 'utf8');
  try {
    json = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const at = /at position (\d+)/.exec(msg);
    const line = at ? text.slice(0, Number(at[1])).split('\n').length : undefined;
    throw new BundleError([{ file: MANIFEST, line, message: `is not valid JSON: ${msg}` }]);
  }
  const tooDeep = deeperThan(json, MAX_DEPTH);
  if (tooDeep) {
    throw new BundleError([
      {
        file: MANIFEST,
        field: jsonPath(tooDeep) || undefined,
        message: `nests objects and lists more than ${MAX_DEPTH} levels deep; flatten this metadata`,
      },
    ]);
  }
  const nul = nulString(json);
  if (nul) {
    throw new BundleError([
      {
        file: MANIFEST,
        field: jsonPath(nul) || undefined,
        message: 'holds a NUL character (\\u0000); remove it, no text field may contain one',
      },
    ]);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new BundleError(parsed.error.issues.map((i) => ({ file: MANIFEST, field: jsonPath(i.path) || undefined, message: i.message })));
  }
  const m = parsed.data;
  const problems: Problem[] = [];

  /** A map of names from the manifest, checked entry by entry (own keys only, "__proto__" included). */
  const nameMap = <V extends string>(
    obj: Record<string, unknown> | undefined,
    field: string,
    check: (v: unknown) => string | null,
  ): Map<string, V> => {
    const out = new Map<string, V>();
    for (const [k, v] of Object.entries(obj ?? {})) {
      const keyProblem = k.trim() === '' ? 'an empty name cannot be mapped' : k.includes('\0') ? NUL_MESSAGE : null;
      const problem = keyProblem ?? check(v);
      if (problem) problems.push({ file: MANIFEST, field: `${field}.${k}`, message: problem });
      else out.set(k, v as V);
    }
    return out;
  };
  const nameValue = (v: unknown) =>
    typeof v !== 'string' || v.trim() === '' ? 'must be a non-empty string' : v.includes('\0') ? NUL_MESSAGE : null;
  const aliases = {
    model: nameMap<string>(m.aliases?.model, 'aliases.model', nameValue),
    algorithm: nameMap<string>(m.aliases?.algorithm, 'aliases.algorithm', nameValue),
    dataset: nameMap<string>(m.aliases?.dataset, 'aliases.dataset', nameValue),
  };
  const alias = (kind: 'model' | 'algorithm' | 'dataset', v: string | undefined): string | null =>
    v === undefined ? null : (aliases[kind].get(v) ?? v);
  const canonicalValue = (v: unknown) =>
    typeof v === 'string' && (CANONICAL_COLUMNS as readonly string[]).includes(v) ? null : `must be one of ${CANONICAL_COLUMNS.join(', ')}`;
  /** file column -> canonical, refusing two file columns for one canonical column. */
  const columnMap = (obj: Record<string, unknown> | undefined, field: string): Map<CanonicalColumn, string> => {
    const out = new Map<CanonicalColumn, string>();
    for (const [fileCol, canonical] of nameMap<CanonicalColumn>(obj, field, canonicalValue)) {
      const other = out.get(canonical);
      if (other !== undefined) {
        problems.push({
          file: MANIFEST,
          field: `${field}.${fileCol}`,
          message: `"${other}" and "${fileCol}" are both mapped to ${canonical}; map one file column to each canonical column`,
        });
      } else out.set(canonical, fileCol);
    }
    return out;
  };
  const bundleColumns = columnMap(m.columns, 'columns');

  const seenRuns = new Map<string, number>();
  const runs: RunSpec[] = m.runs.map((r, ri) => {
    if (seenRuns.has(r.id)) {
      problems.push({ file: MANIFEST, field: `runs[${ri}].id`, message: `duplicate run id "${r.id}" (also runs[${seenRuns.get(r.id)}])` });
    }
    seenRuns.set(r.id, ri);
    const seenStages = new Set<string>();
    const stages = r.stages.map((s, si) => {
      if (seenStages.has(s.name)) {
        problems.push({
          file: MANIFEST,
          field: `runs[${ri}].stages[${si}].name`,
          message: `duplicate stage name "${s.name}" in run "${r.id}"`,
        });
      }
      seenStages.add(s.name);
      return {
        name: s.name,
        kind: s.kind,
        algorithm: alias('algorithm', s.algorithm),
        dataset: alias('dataset', s.dataset),
        totalSteps: s.totalSteps ?? null,
        hyperparameters: s.hyperparameters ?? null,
      };
    });
    // extra run fields from the parsed JSON itself, which keeps every key as written
    const rawRun = ((json as { runs: unknown[] }).runs[ri] ?? {}) as Record<string, unknown>;
    const metadata = Object.fromEntries(Object.entries(rawRun).filter(([k]) => !['id', 'model', 'seed', 'stages'].includes(k)));
    return { key: r.id, model: alias('model', r.model) as string, seed: r.seed ?? null, metadata, stages };
  });

  const seenFiles = new Set<string>();
  const files: FileSpec[] = [];
  m.files.forEach((f, fi) => {
    const field = `files[${fi}].path`;
    const abs = path.resolve(bundleDir, f.path);
    const rel = path.relative(bundleDir, abs);
    if (path.isAbsolute(f.path) || rel.startsWith('..') || path.isAbsolute(rel)) {
      problems.push({ file: MANIFEST, field, message: `"${f.path}" is outside the bundle folder; list files by paths inside it` });
      return;
    }
    if (!fs.existsSync(abs)) {
      problems.push({ file: MANIFEST, field, message: `"${f.path}" is listed but not present in the bundle` });
      return;
    }
    const real = fs.realpathSync(abs);
    const realRel = path.relative(fs.realpathSync(bundleDir), real);
    if (realRel.startsWith('..') || path.isAbsolute(realRel)) {
      problems.push({ file: MANIFEST, field, message: `"${f.path}" links outside the bundle folder` });
      return;
    }
    if (!fs.statSync(real).isFile()) {
      problems.push({ file: MANIFEST, field, message: `"${f.path}" is not a file` });
      return;
    }
    if (seenFiles.has(rel)) {
      problems.push({ file: MANIFEST, field, message: `"${f.path}" is listed twice` });
      return;
    }
    seenFiles.add(rel);
    const format = f.format ?? inferFormat(f.path);
    if (!format) {
      problems.push({
        file: MANIFEST,
        field: `files[${fi}].format`,
        message: `cannot tell the format of "${f.path}"; set format to csv, jsonl or parquet`,
      });
      return;
    }
    // a file's own map overrides the bundle's for the canonical columns it names
    const own = columnMap(f.columns, `files[${fi}].columns`);
    const columns: Partial<Record<CanonicalColumn, string>> = Object.create(null) as Partial<Record<CanonicalColumn, string>>;
    for (const [canonical, fileCol] of [...bundleColumns, ...own]) columns[canonical] = fileCol;
    files.push({ path: f.path, absPath: real, format, columns, delimiter: f.delimiter });
  });

  const stanceLabels = new Map<string, Stance>(STANCES.map((s) => [s, s]));
  const stanceValue = (v: unknown) =>
    typeof v === 'string' && (STANCES as readonly string[]).includes(v) ? null : `must be one of ${STANCES.join(', ')}`;
  for (const [label, stance] of nameMap<Stance>(m.stanceLabels, 'stanceLabels', stanceValue)) {
    if ((STANCES as readonly string[]).includes(label) && label !== stance) {
      problems.push({
        file: MANIFEST,
        field: `stanceLabels.${label}`,
        message: `"${label}" is a stance name and cannot stand for ${stance}`,
      });
    }
    stanceLabels.set(label, stance);
  }

  if (problems.length) throw new BundleError(problems);
  const d = m.dataset;
  return {
    dataset: {
      name: d.name,
      lab: d.lab,
      version: d.version,
      description: d.description ?? null,
      license: d.license ?? null,
      promptSet: d.promptSet ?? null,
      judge: d.judge ?? null,
      visibility: d.visibility ?? 'public',
    },
    runs,
    files,
    stanceLabels,
    raw: json,
  };
}
