/**
 * README, Bundle format validation, one test per rule: each builds a small broken bundle, checks that ingest
 * refuses it with a message naming file, line and field, and that the database (which already
 * holds a valid bundle) is exactly as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { BundleError, ConflictError, MAX_PROBLEMS } from '../../src/ingest/errors';
import { ingestBundle, type IngestOptions, type IngestResult } from '../../src/ingest/ingest';
import {
  CANONICAL,
  clone,
  smallBundle,
  smallRows,
  toCsv,
  toJsonl,
  writeBundle,
  type BundleContent,
  type ManifestJson,
  type ObsRow,
} from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';
import { rowCounts, snapshot, type DbSnapshot } from './db-snapshot';

const root = tempDir('driftql-validation-');
let db: DriftDb;
let loaded: IngestResult;
let bundleNo = 0;

/** Row i of a CSV written with a header is on line i + 2. */
const lineOf = (rowIndex: number) => rowIndex + 2;

function newDir(tag = 'b'): string {
  return path.join(root, `${tag}-${++bundleNo}`);
}

/** The small valid bundle under another dataset name (so it is not a conflict with the loaded one). */
function base(name = 'broken') {
  const b = smallBundle({ name, seed: 7 });
  return { manifest: clone(b.manifest), rows: b.rows.map((r) => ({ ...r })) };
}

/** A CSV bundle from (possibly broken) rows, canonical column order. */
function csvBundle(manifest: ManifestJson, rows: ObsRow[], columns: readonly string[] = CANONICAL): BundleContent {
  return { manifest, files: { [manifest.files[0]!.path]: toCsv(rows, columns) } };
}

/** Small bundle with one row changed. */
function withRow(i: number, patch: ObsRow): BundleContent {
  const b = base();
  Object.assign(b.rows[i]!, patch);
  return csvBundle(b.manifest, b.rows);
}

interface Location {
  file: string;
  line?: number;
  field?: string;
  message?: RegExp;
}

function locationText(l: Location): string {
  return [l.file, l.line !== undefined ? `line ${l.line}` : undefined, l.field ? `field ${l.field}` : undefined].filter(Boolean).join(', ');
}

/**
 * Ingests `content` (written to a fresh folder), expects the refusal, checks the location is in
 * the message and in the problems, and that nothing in the database changed.
 */
async function expectRefused(
  content: BundleContent | ((dir: string) => void),
  where: Location | Location[],
  opts: { error?: typeof BundleError | typeof ConflictError; ingest?: IngestOptions } = {},
): Promise<Error> {
  const dir = newDir();
  if (typeof content === 'function') content(dir);
  else writeBundle(dir, content);
  const before = await snapshot(db);
  let caught: unknown;
  try {
    await ingestBundle(db, dir, opts.ingest);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(opts.error ?? BundleError);
  const err = caught as Error;
  for (const l of Array.isArray(where) ? where : [where]) {
    expect(err.message).toContain(`${locationText(l)}: `);
    if (l.message) {
      const lineText = err.message.split('\n').find((x) => x.includes(`${locationText(l)}: `)) ?? '';
      expect(lineText).toMatch(l.message);
    }
    if (err instanceof BundleError) {
      expect(err.problems).toContainEqual(
        expect.objectContaining({
          file: l.file,
          ...(l.line !== undefined ? { line: l.line } : {}),
          ...(l.field ? { field: l.field } : {}),
        }),
      );
    }
  }
  const after = await snapshot(db);
  expect(after).toEqual(before);
  await expectNoTempTables();
  return err;
}

/** Ingest's staging tables live on the write connection; a refused ingest must drop them all. */
async function expectNoTempTables(): Promise<void> {
  const temps = await db.withWriter(async (c) => {
    const r = await c.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE temporary`);
    return r.getRowObjectsJS().map((x) => String(x.table_name));
  });
  expect(temps).toEqual([]);
}

async function expectIngests(content: BundleContent): Promise<IngestResult> {
  const dir = newDir('ok');
  writeBundle(dir, content);
  const r = await ingestBundle(db, dir);
  expect(r.status).toBe('ingested');
  return r;
}

beforeAll(async () => {
  db = await DriftDb.open(path.join(root, 'validation.duckdb'));
  await migrate(db);
  const b = smallBundle({ lab: 'lab-a', name: 'small', seed: 1 });
  loaded = await ingestBundle(db, writeBundle(path.join(root, 'valid'), b));
});

afterAll(async () => {
  await db?.close();
});

describe('the database under test', () => {
  it('holds the valid small bundle to begin with', async () => {
    expect(loaded.status).toBe('ingested');
    // 2 runs × (1 + 2 + 2 checkpoints) × 2 topics × 2 prompts × 2 generations
    expect(loaded.observations).toBe(2 * 5 * 2 * 2 * 2);
    const counts = rowCounts(await snapshot(db));
    expect(counts).toMatchObject({
      labs: 1,
      datasets: 1,
      runs: 2,
      stages: 6,
      topics: 2,
      prompts: 4,
      observations: 80,
      prompt_means: 40,
      checkpoint_values: 20,
    });
  });
});

describe('manifest rules', () => {
  it('wrong format version', async () => {
    const b = base();
    b.manifest.format = 'drift-trace/v2';
    await expectRefused(csvBundle(b.manifest, b.rows), { file: 'manifest.json', field: 'format', message: /drift-trace\/v1/ });
  });

  it('missing format version', async () => {
    const b = base();
    delete (b.manifest as Partial<ManifestJson>).format;
    await expectRefused(csvBundle(b.manifest, b.rows), { file: 'manifest.json', field: 'format', message: /drift-trace\/v1/ });
  });

  it('manifest not JSON (a trailing comma) names the line of the syntax error', async () => {
    const b = base();
    // a hand-edited manifest with a trailing comma before the final brace
    const text = JSON.stringify(b.manifest, null, 2).replace(/\n}$/, ',\n}');
    const lastLine = text.split('\n').length;
    await expectRefused(
      { manifest: text, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } },
      {
        file: 'manifest.json',
        line: lastLine,
        message: /not valid JSON/,
      },
    );
  });

  it('manifest not JSON (not JSON at all)', async () => {
    const b = base();
    await expectRefused(
      { manifest: 'format: drift-trace/v1\n', files: { 'observations.csv': toCsv(b.rows, CANONICAL) } },
      {
        file: 'manifest.json',
        message: /not valid JSON/,
      },
    );
  });

  it('missing manifest', async () => {
    const b = base();
    await expectRefused(
      (dir) => {
        writeBundle(dir, csvBundle(b.manifest, b.rows));
        fs.rmSync(path.join(dir, 'manifest.json'));
      },
      { file: 'manifest.json', message: /not found/ },
    );
  });

  it('unknown stage kind', async () => {
    const b = base();
    b.manifest.runs[0]!.stages[2]!.kind = 'rlhf';
    await expectRefused(csvBundle(b.manifest, b.rows), {
      file: 'manifest.json',
      field: 'runs[0].stages[2].kind',
      message: /base, sft, preference, other/,
    });
  });

  it('duplicate run id', async () => {
    const b = base();
    b.manifest.runs[1]!.id = b.manifest.runs[0]!.id;
    await expectRefused(csvBundle(b.manifest, b.rows), {
      file: 'manifest.json',
      field: 'runs[1].id',
      message: /duplicate run id "m\.s0".*runs\[0\]/,
    });
  });

  it('duplicate stage name', async () => {
    const b = base();
    b.manifest.runs[1]!.stages[2]!.name = 'sft';
    await expectRefused(csvBundle(b.manifest, b.rows), {
      file: 'manifest.json',
      field: 'runs[1].stages[2].name',
      message: /duplicate stage name "sft"/,
    });
  });

  it('totalSteps negative', async () => {
    const b = base();
    b.manifest.runs[0]!.stages[1]!.totalSteps = -5;
    await expectRefused(csvBundle(b.manifest, b.rows), { file: 'manifest.json', field: 'runs[0].stages[1].totalSteps', message: />= 0/ });
  });

  it('a listed file missing', async () => {
    const b = base();
    b.manifest.files.push({ path: 'more.csv', format: 'csv' });
    await expectRefused(csvBundle(b.manifest, b.rows), {
      file: 'manifest.json',
      field: 'files[1].path',
      message: /"more\.csv".*not present/,
    });
  });

  it('a file path escaping the bundle (../x.csv), even when that file exists', async () => {
    const b = base();
    b.manifest.files = [{ path: '../x.csv', format: 'csv' }];
    await expectRefused(
      (dir) => {
        writeBundle(dir, { manifest: b.manifest, files: {} });
        fs.writeFileSync(path.join(dir, '..', 'x.csv'), toCsv(b.rows, CANONICAL));
      },
      { file: 'manifest.json', field: 'files[0].path', message: /outside the bundle/ },
    );
  });

  it('an absolute file path', async () => {
    const b = base();
    const outside = path.join(root, 'absolute.csv');
    fs.writeFileSync(outside, toCsv(b.rows, CANONICAL));
    b.manifest.files = [{ path: outside, format: 'csv' }];
    await expectRefused(
      { manifest: b.manifest, files: {} },
      { file: 'manifest.json', field: 'files[0].path', message: /outside the bundle/ },
    );
  });

  it('a symlink escaping the bundle', async () => {
    const b = base();
    const outside = path.join(root, 'outside-target.csv');
    fs.writeFileSync(outside, toCsv(b.rows, CANONICAL));
    b.manifest.files = [{ path: 'observations.csv', format: 'csv' }];
    await expectRefused(
      (dir) => {
        writeBundle(dir, { manifest: b.manifest, files: {} });
        fs.symlinkSync(outside, path.join(dir, 'observations.csv'));
      },
      { file: 'manifest.json', field: 'files[0].path', message: /links outside the bundle/ },
    );
  });

  it('unknown file format (declared)', async () => {
    const b = base();
    b.manifest.files[0]!.format = 'xlsx';
    await expectRefused(csvBundle(b.manifest, b.rows), { file: 'manifest.json', field: 'files[0].format', message: /csv, jsonl, parquet/ });
  });

  it('unknown file format (undeclared, unknown extension)', async () => {
    const b = base();
    b.manifest.files = [{ path: 'observations.txt' }];
    await expectRefused(csvBundle(b.manifest, b.rows), {
      file: 'manifest.json',
      field: 'files[0].format',
      message: /cannot tell the format/,
    });
  });
});

describe('column rules', () => {
  const withoutTopic = CANONICAL.filter((c) => c !== 'topic');

  it('missing required column', async () => {
    const b = base();
    await expectRefused(csvBundle(b.manifest, b.rows, withoutTopic), {
      file: 'observations.csv',
      field: 'topic',
      message: /required column missing.*"columns"/,
    });
  });

  it('the same column, renamed and mapped with the manifest "columns" map, ingests', async () => {
    const b = base('renamed-topic');
    b.manifest.columns = { subject: 'topic' };
    const rows = b.rows.map(({ topic, ...rest }) => ({ ...rest, subject: topic }));
    const r = await expectIngests(csvBundle(b.manifest, rows, [...withoutTopic, 'subject']));
    expect(r.observations).toBe(rows.length);
    expect(r.topics).toBe(2);
  });

  it('neither probabilities nor a stance column', async () => {
    const b = base();
    await expectRefused(
      csvBundle(
        b.manifest,
        b.rows,
        CANONICAL.filter((c) => c !== 'p_oppose'),
      ),
      {
        file: 'observations.csv',
        message: /needs either p_support, p_neutral and p_oppose or a stance column/,
      },
    );
  });
});

describe('row rules (CSV line numbers count the header as line 1)', () => {
  it('row with unknown run_id', async () => {
    await expectRefused(withRow(5, { run_id: 'm.s9' }), {
      file: 'observations.csv',
      line: lineOf(5),
      field: 'run_id',
      message: /unknown run "m\.s9"/,
    });
  });

  it('row with a stage not in that run', async () => {
    await expectRefused(withRow(6, { stage: 'rl' }), {
      file: 'observations.csv',
      line: lineOf(6),
      field: 'stage',
      message: /run "m\.s0" has no stage "rl"; its stages are base, sft, po/,
    });
  });

  it('step negative', async () => {
    await expectRefused(withRow(9, { step: -1 }), {
      file: 'observations.csv',
      line: lineOf(9),
      field: 'step',
      message: /non-negative integer, got "-1"/,
    });
  });

  it('step non-integer (1.5)', async () => {
    await expectRefused(withRow(9, { step: 1.5 }), {
      file: 'observations.csv',
      line: lineOf(9),
      field: 'step',
      message: /integer, got "1\.5"/,
    });
  });

  it('step not a number', async () => {
    await expectRefused(withRow(9, { step: 'ten' }), {
      file: 'observations.csv',
      line: lineOf(9),
      field: 'step',
      message: /"ten" is not a number/,
    });
  });

  it('generation not an integer', async () => {
    await expectRefused(withRow(0, { generation: 0.5 }), {
      file: 'observations.csv',
      line: 2,
      field: 'generation',
      message: /integer, got "0\.5"/,
    });
  });

  it('generation not a number', async () => {
    await expectRefused(withRow(1, { generation: 'first' }), {
      file: 'observations.csv',
      line: 3,
      field: 'generation',
      message: /"first" is not a number/,
    });
  });

  it('empty topic', async () => {
    await expectRefused(withRow(11, { topic: '' }), { file: 'observations.csv', line: lineOf(11), field: 'topic', message: /is empty/ });
  });

  it('blank (whitespace) prompt_id', async () => {
    await expectRefused(withRow(12, { prompt_id: '   ' }), {
      file: 'observations.csv',
      line: lineOf(12),
      field: 'prompt_id',
      message: /is empty/,
    });
  });

  it('p_support > 1', async () => {
    await expectRefused(withRow(3, { p_support: 1.2, p_neutral: 0, p_oppose: 0 }), {
      file: 'observations.csv',
      line: lineOf(3),
      field: 'p_support',
      message: /"1\.2" is outside \[0, 1\]/,
    });
  });

  it('p_neutral < 0', async () => {
    await expectRefused(withRow(4, { p_support: 0.6, p_neutral: -0.1, p_oppose: 0.5 }), {
      file: 'observations.csv',
      line: lineOf(4),
      field: 'p_neutral',
      message: /"-0\.1" is outside \[0, 1\]/,
    });
  });

  it('probability not a number', async () => {
    await expectRefused(withRow(4, { p_oppose: 'high' }), {
      file: 'observations.csv',
      line: lineOf(4),
      field: 'p_oppose',
      message: /"high" is not a number/,
    });
  });

  it('probability empty', async () => {
    await expectRefused(withRow(4, { p_oppose: '' }), {
      file: 'observations.csv',
      line: lineOf(4),
      field: 'p_oppose',
      message: /is empty/,
    });
  });

  it('NaN', async () => {
    await expectRefused(withRow(7, { p_neutral: 'NaN' }), {
      file: 'observations.csv',
      line: lineOf(7),
      field: 'p_neutral',
      message: /NaN/,
    });
  });

  it('probabilities summing to 1.1', async () => {
    await expectRefused(withRow(8, { p_support: 0.5, p_neutral: 0.3, p_oppose: 0.3 }), {
      file: 'observations.csv',
      line: lineOf(8),
      field: 'p_support, p_neutral, p_oppose',
      message: /sum to 1\.1\b.*within 0\.001/,
    });
  });

  it('probabilities summing to 1.0005 are accepted (tolerance 1e-3)', async () => {
    const b = base('sum-tolerance');
    Object.assign(b.rows[8]!, { p_support: 0.5, p_neutral: 0.3, p_oppose: 0.2005 });
    const r = await expectIngests(csvBundle(b.manifest, b.rows));
    expect(r.observations).toBe(b.rows.length);
  });

  it('unknown stance label', async () => {
    const b = base();
    b.manifest.files.push({ path: 'labels.csv', format: 'csv' });
    const labels = smallRows({ runs: ['m.s0'], topics: ['guns'], seed: 3 }).map((r, i) => ({
      ...r,
      stance: ['PRO', 'support', 'oppose'][i % 3],
    }));
    const content = csvBundle(b.manifest, b.rows);
    content.files['labels.csv'] = toCsv(labels, [...CANONICAL.slice(0, 6), 'stance']);
    await expectRefused(content, { file: 'labels.csv', line: 2, field: 'stance', message: /unknown stance label "PRO".*stanceLabels/ });
  });

  it('the same stance label, mapped with stanceLabels, ingests', async () => {
    const b = base('stance-labels');
    b.manifest.files.push({ path: 'labels.csv', format: 'csv' });
    b.manifest.stanceLabels = { PRO: 'support' };
    const labels = smallRows({ runs: ['m.s0'], topics: ['guns'], seed: 3 }).map((r, i) => ({
      ...r,
      stance: ['PRO', 'support', 'oppose'][i % 3],
    }));
    const content = csvBundle(b.manifest, b.rows);
    content.files['labels.csv'] = toCsv(labels, [...CANONICAL.slice(0, 6), 'stance']);
    const r = await expectIngests(content);
    expect(r.observations).toBe(b.rows.length + labels.length);
    const [pro] = await db.query(
      `SELECT count(*) AS n FROM observations o JOIN topics t ON t.id = o.topic_id WHERE t.name = 'guns' AND o.run_id = (SELECT max(id) FROM runs WHERE key = 'm.s0') AND p_support = 1 AND p_neutral = 0 AND p_oppose = 0`,
    );
    expect(pro?.n).toBe(labels.filter((l) => l.stance !== 'oppose').length);
  });

  it('empty stance in a hard-label file is reported against the stance column', async () => {
    const b = base();
    b.manifest.files = [{ path: 'labels.csv', format: 'csv' }];
    const labels = b.rows.map((r, i) => ({ ...r, stance: i === 4 ? '' : 'neutral' }));
    await expectRefused(
      { manifest: b.manifest, files: { 'labels.csv': toCsv(labels, [...CANONICAL.slice(0, 6), 'stance']) } },
      {
        file: 'labels.csv',
        line: lineOf(4),
        field: 'stance',
      },
    );
  });
});

describe('duplicates', () => {
  it('duplicate (run, stage, step, topic, prompt, generation) within one file names the first occurrence', async () => {
    const b = base();
    const dup = { ...b.rows[10]!, p_support: 0.1, p_neutral: 0.1, p_oppose: 0.8 };
    b.rows.push(dup);
    await expectRefused(csvBundle(b.manifest, b.rows), {
      file: 'observations.csv',
      line: lineOf(b.rows.length - 1),
      field: 'run_id, stage, step, topic, prompt_id, generation',
      message: new RegExp(`duplicate observation.*as observations\\.csv line ${lineOf(10)}$`),
    });
  });

  it('the same step written with a leading zero is still a duplicate', async () => {
    const b = base();
    b.rows.push({ ...b.rows[10]!, step: `0${b.rows[10]!.step}` });
    await expectRefused(csvBundle(b.manifest, b.rows), {
      file: 'observations.csv',
      line: lineOf(b.rows.length - 1),
      field: 'run_id, stage, step, topic, prompt_id, generation',
      message: new RegExp(`line ${lineOf(10)}$`),
    });
  });

  it('duplicate across two files names the first occurrence in the first file', async () => {
    const b = base();
    b.manifest.files.push({ path: 'extra.jsonl', format: 'jsonl' });
    const content = csvBundle(b.manifest, b.rows);
    const extra = [{ ...b.rows[20]!, prompt_id: 'NEW-1' }, { ...b.rows[17]! }];
    content.files['extra.jsonl'] = toJsonl(extra);
    await expectRefused(content, {
      file: 'extra.jsonl',
      line: 2,
      field: 'run_id, stage, step, topic, prompt_id, generation',
      message: new RegExp(`duplicate observation.*as observations\\.csv line ${lineOf(17)}$`),
    });
  });
});

describe('file rules', () => {
  it('malformed CSV row (wrong number of fields)', async () => {
    const b = base();
    const lines = toCsv(b.rows, CANONICAL).split('\n');
    lines[6] = `${lines[6]},extra`; // line 7 of the file
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': lines.join('\n') } },
      {
        file: 'observations.csv',
        line: 7,
        message: /cannot be read as CSV/,
      },
    );
  });

  it('malformed CSV row (too few fields)', async () => {
    const b = base();
    const lines = toCsv(b.rows, CANONICAL).split('\n');
    lines[12] = lines[12]!.split(',').slice(0, 7).join(','); // line 13
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': lines.join('\n') } },
      {
        file: 'observations.csv',
        line: 13,
        message: /cannot be read as CSV/,
      },
    );
  });

  it('a bundle with zero observation rows', async () => {
    const b = base();
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': `${CANONICAL.join(',')}\n` } },
      {
        file: 'observations.csv',
        message: /no observations/,
      },
    );
  });

  it('problems are capped: 100 bad rows list at most 20 and say how many more', async () => {
    const b = base();
    const rows = b.rows
      .slice(0, 60)
      .concat(smallRows({ name: 'broken', seed: 8, runs: ['m.s0'], topics: ['t1', 't2', 't3'] }).slice(0, 40));
    rows.forEach((r) => (r.step = -3));
    expect(rows.length).toBe(100);
    const err = (await expectRefused(csvBundle(b.manifest, rows), { file: 'observations.csv', line: 2, field: 'step' })) as BundleError;
    const listed = err.message.split('\n').filter((l) => l.startsWith('  - '));
    expect(listed).toHaveLength(MAX_PROBLEMS);
    expect(err.message).toMatch(/100 problems/);
    expect(err.message).toMatch(/\.\.\. and 80 more/);
    expect(err.totalProblems).toBe(100);
  });

  it('JSONL broken line', async () => {
    const b = base();
    b.manifest.files = [{ path: 'observations.jsonl', format: 'jsonl' }];
    const lines = toJsonl(b.rows).split('\n');
    lines[4] = lines[4]!.slice(0, 30); // line 5 truncated
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.jsonl': lines.join('\n') } },
      {
        file: 'observations.jsonl',
        line: 5,
        message: /cannot be read as JSONL/,
      },
    );
  });

  it('JSONL row errors are located by line (no header offset)', async () => {
    const b = base();
    b.manifest.files = [{ path: 'observations.jsonl', format: 'jsonl' }];
    b.rows[6]!.step = -2;
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.jsonl': toJsonl(b.rows) } },
      {
        file: 'observations.jsonl',
        line: 7,
        field: 'step',
      },
    );
  });

  it('a blank line in a CSV does not shift the line numbers after it', async () => {
    const b = base();
    b.rows[10]!.step = -1; // line 12, or 13 once a blank line is inserted before it
    const lines = toCsv(b.rows, CANONICAL).split('\n');
    lines.splice(5, 0, '');
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': lines.join('\n') } },
      {
        file: 'observations.csv',
        line: 13,
        field: 'step',
      },
    );
  });

  it('a blank line in a JSONL file does not shift the line numbers after it', async () => {
    const b = base();
    b.manifest.files = [{ path: 'observations.jsonl', format: 'jsonl' }];
    b.rows[10]!.step = -1; // line 11, or 12 once a blank line is inserted before it
    const lines = toJsonl(b.rows).split('\n');
    lines.splice(5, 0, '');
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.jsonl': lines.join('\n') } },
      {
        file: 'observations.jsonl',
        line: 12,
        field: 'step',
      },
    );
  });

  it('row errors in a second file are located in that file', async () => {
    const b = base();
    b.manifest.files.push({ path: 'part2.csv', format: 'csv' });
    const half = b.rows.length / 2;
    const part2 = b.rows.slice(half);
    part2[3]!.p_support = 7;
    await expectRefused(
      {
        manifest: b.manifest,
        files: { 'observations.csv': toCsv(b.rows.slice(0, half), CANONICAL), 'part2.csv': toCsv(part2, CANONICAL) },
      },
      { file: 'part2.csv', line: lineOf(3), field: 'p_support' },
    );
  });

  it('errors in a mapped column name both the file column and the canonical one', async () => {
    const b = base();
    b.manifest.columns = { when: 'step' };
    const rows = b.rows.map(({ step, ...rest }) => ({ ...rest, when: step }));
    rows[2]!.when = -4;
    await expectRefused(
      csvBundle(b.manifest, rows, ['run_id', 'stage', 'when', 'topic', 'prompt_id', 'generation', 'p_support', 'p_neutral', 'p_oppose']),
      {
        file: 'observations.csv',
        line: lineOf(2),
        field: 'when (step)',
      },
    );
  });
});

describe('all or nothing', () => {
  it('a broken replacement ({replace: true}) leaves the loaded dataset as it was', async () => {
    const b = smallBundle({ lab: 'lab-a', name: 'small', seed: 2 });
    b.rows[30]!.p_support = 2;
    await expectRefused(
      csvBundle(b.manifest, b.rows),
      { file: 'observations.csv', line: lineOf(30), field: 'p_support' },
      { ingest: { replace: true } },
    );
  });
});

describe('re-ingest, conflicts and replacement', () => {
  it('re-ingesting the identical bundle returns unchanged and changes nothing', async () => {
    const before = await snapshot(db);
    const again = await ingestBundle(db, path.join(root, 'valid'));
    expect(again.status).toBe('unchanged');
    expect(again.datasetId).toBe(loaded.datasetId);
    expect(again.contentHash).toBe(loaded.contentHash);
    expect(again.observations).toBe(loaded.observations);
    expect(again.runs).toBe(2);
    // an identical copy in another folder is the same content
    const copy = newDir('copy');
    fs.cpSync(path.join(root, 'valid'), copy, { recursive: true });
    expect((await ingestBundle(db, copy)).status).toBe('unchanged');
    expect(await snapshot(db)).toEqual(before);
  });

  it("an unchanged result reports the loaded dataset's topic and prompt counts, as a fresh ingest does", async () => {
    const again = await ingestBundle(db, path.join(root, 'valid'));
    expect(again.status).toBe('unchanged');
    expect({ runs: again.runs, topics: again.topics, prompts: again.prompts }).toEqual({
      runs: 2,
      topics: loaded.topics,
      prompts: loaded.prompts,
    });
  });

  describe('a modified bundle with the same lab, name and version', () => {
    const lab = 'lab-r';
    let first: IngestResult;
    let before: DbSnapshot;
    const v1 = smallBundle({ lab, name: 'rep', seed: 11 });
    // modified: other probabilities, one run fewer, a third topic
    const v2 = smallBundle({ lab, name: 'rep', seed: 12, runs: ['m.s0'], topics: ['immigration', 'gun control', 'abortion'] });

    beforeAll(async () => {
      first = await ingestBundle(db, writeBundle(newDir('rep1'), v1));
      before = await snapshot(db);
    });

    it('throws ConflictError mentioning --replace, writing nothing', async () => {
      expect(first.status).toBe('ingested');
      const err = await expectRefused(v2, [], { error: ConflictError });
      expect(err.message).toMatch(/lab-r\/rep version 1 is already loaded with different content/);
      expect(err.message).toContain('--replace');
      expect(await snapshot(db)).toEqual(before);
    });

    it('with {replace: true} replaces: old observations gone, new present, counts right', async () => {
      const r = await ingestBundle(db, writeBundle(newDir('rep2'), v2), { replace: true });
      expect(r.status).toBe('replaced');
      expect(r.datasetId).not.toBe(first.datasetId);
      expect(r.runs).toBe(1);
      expect(r.topics).toBe(3);
      expect(r.observations).toBe(v2.rows.length);
      const after = rowCounts(await snapshot(db));
      const b = rowCounts(before);
      expect(after.labs).toBe(b.labs);
      expect(after.datasets).toBe(b.datasets);
      expect(after.runs).toBe(b.runs! - 2 + 1);
      expect(after.stages).toBe(b.stages! - 6 + 3);
      expect(after.topics).toBe(b.topics! + 1); // 'abortion' is new
      expect(after.prompts).toBe(b.prompts! - 4 + 6);
      expect(after.observations).toBe(b.observations! - v1.rows.length + v2.rows.length);
      expect(after.prompt_means).toBe(b.prompt_means! - v1.rows.length / 2 + v2.rows.length / 2);
      expect(after.checkpoint_values).toBe(b.checkpoint_values! - 2 * 5 * 2 + 1 * 5 * 3);

      const ds = await db.query(`SELECT d.id, d.content_hash FROM datasets d JOIN labs l ON l.id = d.lab_id WHERE l.name = '${lab}'`);
      expect(ds).toEqual([{ id: r.datasetId, content_hash: r.contentHash }]);
      // nothing of the old dataset remains
      const [orphans] = await db.query(
        `SELECT (SELECT count(*) FROM runs WHERE dataset_id = ${first.datasetId}) AS runs,
                (SELECT count(*) FROM prompts WHERE dataset_id = ${first.datasetId}) AS prompts,
                (SELECT count(*) FROM observations WHERE run_id NOT IN (SELECT id FROM runs)) AS obs,
                (SELECT count(*) FROM prompt_means WHERE run_id NOT IN (SELECT id FROM runs)) AS pm,
                (SELECT count(*) FROM checkpoint_values WHERE run_id NOT IN (SELECT id FROM runs)) AS cv,
                (SELECT count(*) FROM stages WHERE run_id NOT IN (SELECT id FROM runs)) AS st`,
      );
      expect(orphans).toEqual({ runs: 0, prompts: 0, obs: 0, pm: 0, cv: 0, st: 0 });
      // the new observations are the v2 rows, value for value
      const stored = await db.query(
        `SELECT r.key AS run_id, s.name AS stage, o.step, t.name AS topic, p.key AS prompt_id, o.generation, o.p_support, o.p_neutral, o.p_oppose
         FROM observations o JOIN runs r ON r.id = o.run_id JOIN stages s ON s.id = o.stage_id JOIN topics t ON t.id = o.topic_id
         JOIN prompts p ON p.id = o.prompt_id WHERE r.dataset_id = ${r.datasetId}`,
      );
      const key = (x: ObsRow) => [x.run_id, x.stage, x.step, x.topic, x.prompt_id, x.generation].join('|');
      const byKey = new Map(stored.map((x) => [key(x as ObsRow), x]));
      expect(byKey.size).toBe(v2.rows.length);
      for (const row of v2.rows) {
        const s = byKey.get(key(row));
        expect(s).toBeDefined();
        expect([s!.p_support, s!.p_neutral, s!.p_oppose]).toEqual([row.p_support, row.p_neutral, row.p_oppose]);
      }
      // and re-ingesting v2 is now unchanged
      expect((await ingestBundle(db, writeBundle(newDir('rep3'), v2))).status).toBe('unchanged');
    });
  });

  it("two labs' bundles with the same dataset name, version and run keys coexist", async () => {
    const before = rowCounts(await snapshot(db));
    const a = await expectIngests(smallBundle({ lab: 'lab-x', name: 'shared', seed: 21 }));
    const b = await expectIngests(smallBundle({ lab: 'lab-y', name: 'shared', seed: 22 }));
    expect(a.datasetId).not.toBe(b.datasetId);
    const after = rowCounts(await snapshot(db));
    expect(after.labs).toBe(before.labs! + 2);
    expect(after.datasets).toBe(before.datasets! + 2);
    expect(after.runs).toBe(before.runs! + 4);
    expect(after.observations).toBe(before.observations! + 160);
    const runs = await db.query(
      `SELECT l.name AS lab, r.key, count(o.run_id) AS n FROM runs r JOIN datasets d ON d.id = r.dataset_id JOIN labs l ON l.id = d.lab_id
       LEFT JOIN observations o ON o.run_id = r.id WHERE d.name = 'shared' GROUP BY ALL ORDER BY ALL`,
    );
    expect(runs).toEqual([
      { lab: 'lab-x', key: 'm.s0', n: 40 },
      { lab: 'lab-x', key: 'm.s1', n: 40 },
      { lab: 'lab-y', key: 'm.s0', n: 40 },
      { lab: 'lab-y', key: 'm.s1', n: 40 },
    ]);
    // the first lab's data is still what it was
    const [first] = await db.query(
      `SELECT count(*) AS n FROM observations o JOIN runs r ON r.id = o.run_id WHERE r.dataset_id = ${loaded.datasetId}`,
    );
    expect(first?.n).toBe(80);
  });
});

describe('concurrent ingests in one process', () => {
  const dir = tempDir('driftql-concurrent-');

  it('the same bundle ingested twice at once is loaded once (one ingested, one unchanged)', async () => {
    const db2 = await DriftDb.open(path.join(dir, 'concurrent.duckdb'));
    try {
      await migrate(db2);
      const bundle = writeBundle(path.join(dir, 'bundle'), smallBundle({ lab: 'lab-c', name: 'race', seed: 4 }));
      const results = await Promise.all([ingestBundle(db2, bundle), ingestBundle(db2, bundle)]);
      expect(results.map((r) => r.status).sort()).toEqual(['ingested', 'unchanged']);
      expect(rowCounts(await snapshot(db2))).toMatchObject({ datasets: 1, runs: 2, observations: 80 });
    } finally {
      await db2.close();
    }
  });
});
