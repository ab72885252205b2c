/**
 * Input is checked, never coerced: each bundle here holds one value that a lenient reader would
 * turn into something else (true into 1, 1e-400 into 0, an object into text) or a manifest that
 * would crash or silently lose a mapping. Each is refused whole, naming file, line and field in
 * plain words, and the database (which holds a valid bundle) stays exactly as it was. Names that
 * are also JavaScript object keys are stored and mapped as written.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { BundleError } from '../../src/ingest/errors';
import { ingestBundle } from '../../src/ingest/ingest';
import { CANONICAL, clone, smallBundle, toCsv, toJsonl, writeBundle, type BundleContent, type ObsRow } from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';
import { snapshot } from './db-snapshot';

const root = tempDir('driftql-checked-');
let db: DriftDb;
let n = 0;
const newDir = () => path.join(root, `b${n++}`);

/** Words that mean DuckDB's own error text or SQL reached the user. */
const LEAK = /Binder Error|Conversion Error|Invalid Input Error|Parser Error|SELECT |read_csv|read_json|CAST\(|DuckDB/;

interface Where {
  file: string;
  line?: number;
  field?: string;
  message: RegExp;
}

async function expectRefused(content: BundleContent | ((dir: string) => void), where: Where): Promise<BundleError> {
  const dir = newDir();
  if (typeof content === 'function') content(dir);
  else writeBundle(dir, content);
  const before = await snapshot(db);
  let caught: unknown;
  try {
    await ingestBundle(db, dir);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(BundleError);
  const err = caught as BundleError;
  expect(err.message).not.toMatch(LEAK);
  const match = err.problems.find(
    (p) =>
      p.file === where.file &&
      (where.line === undefined || p.line === where.line) &&
      (where.field === undefined || p.field === where.field) &&
      where.message.test(p.message),
  );
  if (!match) throw new Error(`no problem like ${JSON.stringify({ ...where, message: String(where.message) })} in:\n${err.message}`);
  expect(await snapshot(db)).toEqual(before);
  return err;
}

let names = 0;
/** The small valid bundle under a name of its own (so that no refusal is a conflict with another). */
function base(name = `checked-${names++}`) {
  const b = smallBundle({ name, seed: 3 });
  return { manifest: clone(b.manifest), rows: b.rows.map((r) => ({ ...r })) };
}

/** The small bundle as one JSONL file with row i patched (JSON values, so any JSON type). */
function jsonlWith(i: number, patch: Record<string, unknown>): BundleContent {
  const b = base();
  b.manifest.files = [{ path: 'obs.jsonl', format: 'jsonl' }];
  const rows = b.rows.map((r, k) => (k === i ? { ...r, ...patch } : r)) as ObsRow[];
  return { manifest: b.manifest, files: { 'obs.jsonl': toJsonl(rows) } };
}

function csvWith(i: number, patch: ObsRow): BundleContent {
  const b = base();
  Object.assign(b.rows[i]!, patch);
  return { manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } };
}

beforeAll(async () => {
  db = await DriftDb.open(path.join(root, 'checked.duckdb'));
  await migrate(db);
  await ingestBundle(db, writeBundle(path.join(root, 'valid'), smallBundle({ name: 'valid', seed: 1 })));
});
afterAll(() => db.close());

describe('observation values of the wrong kind', () => {
  it('a boolean where a probability belongs (JSONL "p_support": true)', async () => {
    await expectRefused(jsonlWith(4, { p_support: true, p_neutral: 0, p_oppose: 0 }), {
      file: 'obs.jsonl',
      line: 5,
      field: 'p_support',
      message: /^"true" is not a number/,
    });
  });

  it.each([
    ['topic', { a: 1 }, /must be text.*\{"a":1\}/],
    ['topic', ['x'], /must be text.*\["x"\]/],
    ['prompt_id', { id: 'P1' }, /must be text/],
    ['run_id', ['m.s0'], /must be text/],
  ])('a JSON object or list as %s', async (field, value, message) => {
    await expectRefused(jsonlWith(6, { [field]: value }), { file: 'obs.jsonl', line: 7, field, message });
  });

  it.each(['1e-400', '1.5', '0x10', '1.0', '+3', '-1', '1e2'])('a CSV step written as %s', async (step) => {
    await expectRefused(csvWith(9, { step }), {
      file: 'observations.csv',
      line: 11,
      field: 'step',
      message: /non-negative integer|is not a number/,
    });
  });

  it('a CSV step 1e-400 is named as a fraction or exponent, not read as 0', async () => {
    await expectRefused(csvWith(9, { step: '1e-400' }), {
      file: 'observations.csv',
      line: 11,
      field: 'step',
      message: /got "1e-400", a number with a fraction or an exponent; write it in digits/,
    });
  });

  it.each([
    ['generation', 1.5],
    ['step', 2.0000001],
    ['step', '3'],
  ])('a JSONL %s given as %p (not a JSON integer)', async (field, value) => {
    await expectRefused(jsonlWith(3, { [field]: value }), {
      file: 'obs.jsonl',
      line: 4,
      field,
      message: /non-negative integer|is not a number/,
    });
  });

  it('JSONL 1e400 written as text in the file is refused too (it reads as a double)', async () => {
    const b = base();
    b.manifest.files = [{ path: 'obs.jsonl', format: 'jsonl' }];
    const lines = toJsonl(b.rows).split('\n');
    lines[2] = lines[2]!.replace(/"step":\d+/, '"step":1e-400');
    expect(lines[2]).toContain('1e-400');
    await expectRefused(
      { manifest: b.manifest, files: { 'obs.jsonl': lines.join('\n') } },
      {
        file: 'obs.jsonl',
        line: 3,
        field: 'step',
        message: /fraction or an exponent/,
      },
    );
  });

  describe('Parquet steps', () => {
    async function parquetBundle(stepType: 'INTEGER' | 'DOUBLE', step3: number): Promise<string> {
      const b = base();
      b.manifest.files = [{ path: 'obs.parquet' }];
      const dir = newDir();
      writeBundle(dir, { manifest: b.manifest, files: {} });
      const instance = await DuckDBInstance.create(':memory:');
      const conn = await instance.connect();
      try {
        const values = b.rows
          .map(
            (r, i) =>
              `('${r.run_id}', '${r.stage}', CAST(${i === 3 ? step3 : r.step} AS ${stepType}), '${r.topic}', '${r.prompt_id}', ${r.generation}, ${r.p_support}, ${r.p_neutral}, ${r.p_oppose})`,
          )
          .join(', ');
        await conn.run(
          `COPY (SELECT * FROM (VALUES ${values}) t(run_id, stage, step, topic, prompt_id, generation, p_support, p_neutral, p_oppose))
           TO '${path.join(dir, 'obs.parquet')}' (FORMAT parquet)`,
        );
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
      return dir;
    }

    it('integral doubles and integer columns are fine; a fractional double step is refused by row', async () => {
      const fine = await ingestBundle(db, await parquetBundle('DOUBLE', 0));
      expect(fine.status).toBe('ingested');
      const dir = await parquetBundle('DOUBLE', 2.5);
      await expectRefused((d) => fs.cpSync(dir, d, { recursive: true }), {
        file: 'obs.parquet',
        line: 4,
        field: 'step',
        message: /non-negative integer, got "2\.5"/,
      });
    });
  });
});

describe('files', () => {
  it('an empty (0-byte) observation file', async () => {
    const b = base();
    b.manifest.files.push({ path: 'empty.csv', format: 'csv' });
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL), 'empty.csv': '' } },
      { file: 'empty.csv', message: /is empty \(0 bytes\)/ },
    );
  });

  it('a CSV header that names a column twice', async () => {
    const b = base();
    const text = toCsv(b.rows, CANONICAL).replace(/^run_id,stage,step,topic/, 'run_id,stage,step,stage');
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': text } },
      { file: 'observations.csv', line: 1, field: 'stage', message: /names column "stage" 2 times \(columns 2, 4\)/ },
    );
  });

  it('a malformed CSV is told in plain words, with the line', async () => {
    const b = base();
    const lines = toCsv(b.rows, CANONICAL).split('\n');
    lines[4] = `${lines[4]},1,2`;
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': lines.join('\n') } },
      { file: 'observations.csv', line: 5, message: /^cannot be read as CSV: a row does not have as many fields as the header/ },
    );
  });

  it('manifest.json that is a folder', async () => {
    const b = base();
    await expectRefused(
      (dir) => {
        fs.mkdirSync(path.join(dir, 'manifest.json'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'observations.csv'), toCsv(b.rows, CANONICAL));
      },
      { file: 'manifest.json', message: /is a folder, not a file/ },
    );
  });
});

describe('the manifest', () => {
  it.each([
    ['columns', (m: ReturnType<typeof base>['manifest']) => (m.columns = { subject: 'topic', theme: 'topic' }), 'columns.theme'],
    [
      'files[0].columns',
      (m: ReturnType<typeof base>['manifest']) => (m.files[0]!.columns = { subject: 'topic', theme: 'topic' }),
      'files[0].columns.theme',
    ],
  ])('two file columns mapped onto one canonical column in %s', async (_where, edit, field) => {
    const b = base();
    edit(b.manifest);
    const rows = b.rows.map(({ topic, ...r }) => ({ ...r, subject: topic, theme: topic }));
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': toCsv(rows) } },
      { file: 'manifest.json', field, message: /"subject" and "theme" are both mapped to topic/ },
    );
  });

  it('a totalSteps of 0 for a stage evaluated beyond step 0', async () => {
    const b = base();
    b.manifest.runs[1]!.stages[2]!.totalSteps = 0;
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } },
      {
        file: 'manifest.json',
        field: 'runs[1].stages[2].totalSteps',
        message: /is 0, but run "m\.s1" stage "po" is evaluated up to step 50 \(field step of the observation files\)/,
      },
    );
  });

  it('a totalSteps below the largest evaluated step', async () => {
    const b = base();
    b.manifest.runs[0]!.stages[1]!.totalSteps = 99;
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } },
      {
        file: 'manifest.json',
        field: 'runs[0].stages[1].totalSteps',
        message: /is 99, but run "m\.s0" stage "sft" is evaluated up to step 100/,
      },
    );
  });

  it('a totalSteps equal to the largest evaluated step ingests', async () => {
    const b = base('exact-total');
    b.manifest.runs[0]!.stages[1]!.totalSteps = 100;
    const r = await ingestBundle(
      db,
      writeBundle(newDir(), { manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } }),
    );
    expect(r.status).toBe('ingested');
  });

  const NUL = '\u0000';
  it.each([
    ['runs[0].id', (m: ReturnType<typeof base>['manifest']) => (m.runs[0]!.id = `m${NUL}s0`)],
    ['runs[0].stages[1].name', (m: ReturnType<typeof base>['manifest']) => (m.runs[0]!.stages[1]!.name = `s${NUL}ft`)],
    ['runs[0].model', (m: ReturnType<typeof base>['manifest']) => (m.runs[0]!.model = `tiny${NUL}`)],
    ['runs[0].stages[2].algorithm', (m: ReturnType<typeof base>['manifest']) => (m.runs[0]!.stages[2]!.algorithm = `d${NUL}po`)],
    ['runs[0].stages[2].dataset', (m: ReturnType<typeof base>['manifest']) => (m.runs[0]!.stages[2]!.dataset = `u${NUL}f`)],
    ['dataset.lab', (m: ReturnType<typeof base>['manifest']) => (m.dataset.lab = `lab${NUL}`)],
    ['dataset.name', (m: ReturnType<typeof base>['manifest']) => (m.dataset.name = `na${NUL}me`)],
    ['aliases.model.x\u0000y', (m: ReturnType<typeof base>['manifest']) => (m.aliases = { model: { [`x${NUL}y`]: 'tiny' } })],
    ['aliases.model.tiny-1b', (m: ReturnType<typeof base>['manifest']) => (m.aliases = { model: { 'tiny-1b': `t${NUL}` } })],
    ['stanceLabels.P\u0000RO', (m: ReturnType<typeof base>['manifest']) => (m.stanceLabels = { [`P${NUL}RO`]: 'support' })],
  ])('a NUL character in %s', async (field, edit) => {
    const b = base();
    edit(b.manifest);
    await expectRefused(
      { manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } },
      { file: 'manifest.json', field, message: /NUL character/ },
    );
  });

  it.each(['topic', 'prompt_id'])('a NUL character in an observation %s', async (field) => {
    await expectRefused(jsonlWith(2, { [field]: `a${NUL}b` }), { file: 'obs.jsonl', line: 3, field, message: /NUL character/ });
  });

  it('metadata nested 100,000 levels deep is refused, not a crash', async () => {
    const b = base();
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const text = JSON.stringify(b.manifest).replace('"model":"tiny-1b"', `"model":"tiny-1b","extra":${deep}`);
    expect(text).toContain('"extra":[[[');
    const err = await expectRefused(
      { manifest: text, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } },
      { file: 'manifest.json', message: /more than 64 levels deep/ },
    );
    expect(err.problems[0]!.field).toMatch(/^runs\[0\]\.extra\[0\]/);
  });

  it('a dataset version given as a JSON number', async () => {
    const b = base();
    const text = JSON.stringify(b.manifest).replace('"version":"1"', '"version":1.10');
    await expectRefused(
      { manifest: text, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } },
      { file: 'manifest.json', field: 'dataset.version', message: /give the version as a string, e\.g\. "1\.10"/ },
    );
  });
});

describe('names that are also JavaScript object keys', () => {
  it('are stored and mapped exactly as written: models, algorithms, aliases, stance labels, column maps, metadata', async () => {
    const b = smallBundle({ name: 'odd-names', seed: 5, runs: ['constructor', '__proto__'], topics: ['toString', 'hasOwnProperty'] });
    const m = clone(b.manifest);
    m.runs[0]!.model = 'constructor';
    m.runs[1]!.model = 'toString';
    m.runs[0]!.stages[2]!.algorithm = 'hasOwnProperty';
    m.runs[1]!.stages[2]!.algorithm = '__proto__';
    m.runs[0]!.stages[1]!.name = 'constructor';
    // alias keys and stance labels named like Object.prototype members; "hasOwnProperty" has no alias
    const rows = b.rows.map((r, i) => {
      const { p_support: _s, p_neutral: _n, p_oppose: _o, topic, stage, ...rest } = r;
      return {
        ...rest,
        ['__proto__']: topic,
        stage: r.run_id === 'constructor' && stage === 'sft' ? 'constructor' : stage,
        stance: ['__proto__', 'toString', 'constructor'][i % 3],
      };
    });
    // JSON.stringify keeps an own "__proto__" key; the manifest text is written by hand to be sure
    const manifestText = JSON.stringify({ ...m, files: [{ path: 'obs.jsonl' }] }).replace(
      /}$/,
      `,"columns":{"__proto__":"topic"},"stanceLabels":{"__proto__":"support","toString":"neutral","constructor":"oppose"},` +
        `"aliases":{"model":{"constructor":"model-c","toString":"model-t"},"algorithm":{"__proto__":"algo-p"}}}`,
    );
    const parsed = JSON.parse(manifestText) as Record<string, Record<string, unknown>>;
    expect(Object.keys(parsed.columns!)).toEqual(['__proto__']);
    const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    expect(jsonl).toContain('"__proto__":"toString"');
    const dir = writeBundle(newDir(), { manifest: manifestText, files: { 'obs.jsonl': jsonl } });
    const r = await ingestBundle(db, dir);
    expect(r.observations).toBe(rows.length);
    const runs = await db.query(
      `SELECT r.key, r.model, s.name, s.algorithm FROM runs r JOIN stages s ON s.run_id = r.id WHERE r.dataset_id = $1 ORDER BY r.id, s.ordinal`,
      [r.datasetId],
    );
    expect(runs.map((x) => [x.key, x.model, x.name, x.algorithm])).toEqual([
      ['constructor', 'model-c', 'base', null],
      ['constructor', 'model-c', 'constructor', 'sft'],
      ['constructor', 'model-c', 'po', 'hasOwnProperty'],
      ['__proto__', 'model-t', 'base', null],
      ['__proto__', 'model-t', 'sft', 'sft'],
      ['__proto__', 'model-t', 'po', 'algo-p'],
    ]);
    const topics = await db.query(
      `SELECT DISTINCT t.name FROM prompts p JOIN topics t ON t.id = p.topic_id WHERE p.dataset_id = $1 ORDER BY 1`,
      [r.datasetId],
    );
    expect(topics.map((t) => t.name)).toEqual(['hasOwnProperty', 'toString']);
    // stance labels: __proto__ -> support, toString -> neutral, constructor -> oppose
    const obs = await db.query(
      `SELECT sum(p_support) AS s, sum(p_neutral) AS n, sum(p_oppose) AS o FROM observations WHERE run_id IN (SELECT id FROM runs WHERE dataset_id = $1)`,
      [r.datasetId],
    );
    const count = (k: number) => rows.filter((_, i) => i % 3 === k).length;
    expect(obs[0]).toEqual({ s: count(0), n: count(1), o: count(2) });
  });

  it('extra run metadata keeps a "__proto__" key', async () => {
    const b = smallBundle({ name: 'proto-metadata', seed: 6 });
    const text = JSON.stringify(b.manifest).replace('"model":"tiny-1b"', '"model":"tiny-1b","__proto__":{"polluted":true},"notes":"kept"');
    const r = await ingestBundle(db, writeBundle(newDir(), { manifest: text, files: b.files }));
    const [run] = await db.query(`SELECT CAST(metadata AS VARCHAR) AS m FROM runs WHERE dataset_id = $1 ORDER BY id LIMIT 1`, [
      r.datasetId,
    ]);
    const metadata = JSON.parse(String(run!.m)) as object;
    expect(Object.entries(metadata)).toEqual([
      ['__proto__', { polluted: true }],
      ['notes', 'kept'],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
