/**
 * How labs' differently shaped data lines up (README, Bundle format), and that ingest computes the §3 items
 * 1-3 numbers: a "new lab" bundle with renamed columns, stance label aliases, CSV + JSONL +
 * Parquet + a hard-label file and model/algorithm/dataset aliases, checked against values
 * recomputed here from the generated rows; and the conformance fixture against expected/metrics.json.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import studentTQuantile from '@stdlib/stats-base-dists-t-quantile';
import fs from 'node:fs';
import path from 'node:path';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ingestBundle, type IngestResult } from '../../src/ingest/ingest';
import { rng, toCsv, toJsonl, writeBundle, type ManifestJson, type ObsRow } from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';

const root = tempDir('driftql-formats-');
const STANCES = ['support', 'neutral', 'oppose'] as const;
type Vec = [number, number, number];

/** t_{(1+γ)/2, n-1} · sd / √n, 0 when n < 2 (README Metrics 3). */
function halfWidth(sd: number | null, n: number, confidence = 0.95): number {
  if (n < 2 || sd === null) return 0;
  return (studentTQuantile((1 + confidence) / 2, n - 1) * sd) / Math.sqrt(n);
}

interface Expected {
  n: number;
  value: Vec;
  sd: Vec | null;
  half: Vec;
}

/** README Metrics 1-3 straight from observation rows: prompt means, then mean and sample sd over prompts. */
function expectedValues(
  rows: { run: string; stage: string; step: number; topic: string; prompt: string; p: Vec }[],
): Map<string, Expected> {
  const promptSums = new Map<string, { checkpoint: string; sum: Vec; k: number }>();
  for (const r of rows) {
    const checkpoint = JSON.stringify([r.run, r.stage, r.step, r.topic]);
    const key = JSON.stringify([r.run, r.stage, r.step, r.topic, r.prompt]);
    const e = promptSums.get(key) ?? { checkpoint, sum: [0, 0, 0] as Vec, k: 0 };
    e.sum = e.sum.map((x, i) => x + r.p[i]!) as Vec;
    e.k++;
    promptSums.set(key, e);
  }
  const byCheckpoint = new Map<string, Vec[]>();
  for (const { checkpoint, sum, k } of promptSums.values()) {
    const list = byCheckpoint.get(checkpoint) ?? [];
    list.push(sum.map((x) => x / k) as Vec);
    byCheckpoint.set(checkpoint, list);
  }
  const out = new Map<string, Expected>();
  for (const [checkpoint, means] of byCheckpoint) {
    const n = means.length;
    const value = [0, 1, 2].map((s) => means.reduce((a, m) => a + m[s]!, 0) / n) as Vec;
    const sd = n < 2 ? null : ([0, 1, 2].map((s) => Math.sqrt(means.reduce((a, m) => a + (m[s]! - value[s]!) ** 2, 0) / (n - 1))) as Vec);
    out.set(checkpoint, { n, value, sd, half: [0, 1, 2].map((s) => halfWidth(sd?.[s] ?? null, n)) as Vec });
  }
  return out;
}

interface StoredValue {
  run: string;
  stage: string;
  step: number;
  topic: string;
  n: number;
  v: Vec;
  sd: (number | null)[];
}

async function storedValues(db: DriftDb, datasetId: number): Promise<Map<string, StoredValue>> {
  const rows = await db.query(
    `SELECT r.key AS run, s.name AS stage, c.step, t.name AS topic, c.prompts AS n,
            c.v_support, c.v_neutral, c.v_oppose, c.sd_support, c.sd_neutral, c.sd_oppose
     FROM checkpoint_values c JOIN runs r ON r.id = c.run_id JOIN stages s ON s.id = c.stage_id JOIN topics t ON t.id = c.topic_id
     WHERE r.dataset_id = $1`,
    [datasetId],
  );
  const out = new Map<string, StoredValue>();
  for (const r of rows) {
    const v: StoredValue = {
      run: String(r.run),
      stage: String(r.stage),
      step: Number(r.step),
      topic: String(r.topic),
      n: Number(r.n),
      v: [Number(r.v_support), Number(r.v_neutral), Number(r.v_oppose)],
      sd: [r.sd_support, r.sd_neutral, r.sd_oppose].map((x) => (x === null ? null : Number(x))),
    };
    const key = JSON.stringify([v.run, v.stage, v.step, v.topic]);
    expect(out.has(key)).toBe(false);
    out.set(key, v);
  }
  return out;
}

/** Writes rows as a Parquet file with typed columns, using a separate in-memory DuckDB. */
async function writeParquet(
  file: string,
  rows: ObsRow[],
  columns: { name: string; type: 'VARCHAR' | 'INTEGER' | 'DOUBLE' }[],
): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const lit = (v: unknown, type: string) =>
      v === null || v === undefined ? 'NULL' : type === 'VARCHAR' ? `'${String(v).replace(/'/g, "''")}'` : `CAST(${String(v)} AS ${type})`;
    const values = rows.map((r) => `(${columns.map((c) => lit(r[c.name], c.type)).join(', ')})`).join(',\n');
    await conn.run(`CREATE TABLE t (${columns.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
    await conn.run(`INSERT INTO t VALUES ${values}`);
    await conn.run(`COPY (SELECT * FROM t) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('a new lab: renamed columns, label and name aliases, CSV + JSONL + Parquet + hard labels', () => {
  const dir = path.join(root, 'new-lab');
  let db: DriftDb;
  let result: IngestResult;
  const generated: { run: string; stage: string; step: number; topic: string; prompt: string; p: Vec }[] = [];

  // file column -> canonical
  const columns = {
    model_run: 'run_id',
    phase: 'stage',
    ckpt: 'step',
    issue: 'topic',
    qid: 'prompt_id',
    sample: 'generation',
    prob_pro: 'p_support',
    prob_neu: 'p_neutral',
    prob_con: 'p_oppose',
    verdict: 'stance',
  };
  const LABELS: Record<string, (typeof STANCES)[number]> = { PRO: 'support', NEU: 'neutral', CON: 'oppose' };

  const manifest: ManifestJson = {
    format: 'drift-trace/v1',
    dataset: { name: 'value-probe', lab: 'new-lab', version: '2024.3', promptSet: 'probe-v2', judge: 'gpt-judge' },
    runs: ['DPO-v2', 'Simple-PO'].map((algo, i) => ({
      id: `l3.${algo.toLowerCase()}.s${i}`,
      model: 'L3-3B',
      seed: i,
      notes: 'extra metadata is kept',
      stages: [
        { name: 'pre', kind: 'base' },
        { name: 'instruct', kind: 'sft', algorithm: 'sft', dataset: 'WC', totalSteps: 300 },
        { name: 'align', kind: 'preference', algorithm: algo, dataset: 'UF', totalSteps: 90 },
      ],
    })),
    files: [
      { path: 'part-a.csv', format: 'csv' },
      { path: 'data/part-b.jsonl' },
      // per-file column map: this file calls the topic "subject"
      { path: 'part-c.parquet', columns: { subject: 'topic' } },
      { path: 'labels.tsv', format: 'csv', delimiter: ';' },
    ],
    columns,
    stanceLabels: { PRO: 'support', CON: 'oppose', NEU: 'neutral' },
    aliases: {
      model: { 'L3-3B': 'llama-3-3b' },
      algorithm: { 'DPO-v2': 'dpo', 'Simple-PO': 'simpo' },
      dataset: { WC: 'wildchat', UF: 'ultrafeedback' },
    },
  };
  const steps: Record<string, number[]> = { pre: [0], instruct: [0, 100, 300], align: [0, 30, 60, 90] };
  const topics = ['immigration', 'gun control', 'death penalty'];

  beforeAll(async () => {
    const rand = rng(2024);
    const files: Record<'csv' | 'jsonl' | 'parquet' | 'labels', ObsRow[]> = { csv: [], jsonl: [], parquet: [], labels: [] };
    for (const run of manifest.runs) {
      for (const [stage, stageSteps] of Object.entries(steps)) {
        for (const step of stageSteps) {
          for (const topic of topics) {
            // 1..5 prompts (n = 1 gives h = 0), each with 1..4 generations (unequal weights)
            const nPrompts = 1 + Math.floor(rand() * 5);
            for (let x = 0; x < nPrompts; x++) {
              const prompt = `${topic.replace(/ /g, '_')}#${x}`;
              const nGen = 1 + Math.floor(rand() * 4);
              for (let g = 0; g < nGen; g++) {
                const which = rand();
                const base = { model_run: run.id, phase: stage, ckpt: step, issue: topic, qid: prompt, sample: g };
                if (which < 0.2) {
                  const label = Object.keys(LABELS)[Math.floor(rand() * 3)]!;
                  files.labels.push({ ...base, verdict: label });
                  const s = LABELS[label]!;
                  generated.push({ run: run.id, stage, step, topic, prompt, p: STANCES.map((t) => (t === s ? 1 : 0)) as Vec });
                  continue;
                }
                // full-precision doubles; p_oppose takes the rest so the sum is 1 up to rounding
                const ps = rand() * 0.8;
                const pn = rand() * (1 - ps);
                const po = Math.max(0, 1 - ps - pn);
                const p: Vec = [ps, pn, po];
                generated.push({ run: run.id, stage, step, topic, prompt, p });
                const row = { ...base, prob_pro: ps, prob_neu: pn, prob_con: po };
                if (which < 0.5) files.csv.push(row);
                else if (which < 0.75) files.jsonl.push(row);
                else {
                  const { issue, ...rest } = row;
                  files.parquet.push({ ...rest, subject: issue });
                }
              }
            }
          }
        }
      }
    }
    for (const f of Object.values(files)) expect(f.length).toBeGreaterThan(20);
    writeBundle(dir, {
      manifest,
      files: {
        // columns in another order than canonical, and an extra column that is ignored
        'part-a.csv': toCsv(
          files.csv.map((r) => ({ ...r, judge_ms: 12 })),
          ['issue', 'qid', 'model_run', 'phase', 'ckpt', 'sample', 'judge_ms', 'prob_con', 'prob_neu', 'prob_pro'],
        ),
        'data/part-b.jsonl': toJsonl(files.jsonl),
        'labels.tsv': toCsv(files.labels, ['model_run', 'phase', 'ckpt', 'issue', 'qid', 'sample', 'verdict'], ';'),
      },
    });
    await writeParquet(path.join(dir, 'part-c.parquet'), files.parquet, [
      { name: 'model_run', type: 'VARCHAR' },
      { name: 'phase', type: 'VARCHAR' },
      { name: 'ckpt', type: 'INTEGER' },
      { name: 'subject', type: 'VARCHAR' },
      { name: 'qid', type: 'VARCHAR' },
      { name: 'sample', type: 'INTEGER' },
      { name: 'prob_pro', type: 'DOUBLE' },
      { name: 'prob_neu', type: 'DOUBLE' },
      { name: 'prob_con', type: 'DOUBLE' },
    ]);
    expect(fs.existsSync(path.join(dir, 'part-c.parquet'))).toBe(true);

    db = await DriftDb.open(path.join(root, 'new-lab.duckdb'));
    await migrate(db);
    result = await ingestBundle(db, dir);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('ingests every row of every file', async () => {
    expect(result.status).toBe('ingested');
    expect(result.files).toBe(4);
    expect(result.runs).toBe(2);
    expect(result.topics).toBe(3);
    expect(result.observations).toBe(generated.length);
    const [n] = await db.query(`SELECT count(*) AS n FROM observations`);
    expect(n?.n).toBe(generated.length);
  });

  it('applies model, algorithm and dataset aliases and keeps extra run metadata', async () => {
    const rows = await db.query(
      `SELECT r.key, r.model, r.seed, CAST(r.metadata AS VARCHAR) AS metadata, s.ordinal, s.name, s.kind, s.algorithm, s.dataset, s.total_steps
       FROM runs r JOIN stages s ON s.run_id = r.id ORDER BY r.key, s.ordinal`,
    );
    expect(rows.map((r) => [r.key, r.model, r.seed, r.name, r.kind, r.algorithm, r.dataset, r.total_steps])).toEqual([
      ['l3.dpo-v2.s0', 'llama-3-3b', 0, 'pre', 'base', null, null, null],
      ['l3.dpo-v2.s0', 'llama-3-3b', 0, 'instruct', 'sft', 'sft', 'wildchat', 300],
      ['l3.dpo-v2.s0', 'llama-3-3b', 0, 'align', 'preference', 'dpo', 'ultrafeedback', 90],
      ['l3.simple-po.s1', 'llama-3-3b', 1, 'pre', 'base', null, null, null],
      ['l3.simple-po.s1', 'llama-3-3b', 1, 'instruct', 'sft', 'sft', 'wildchat', 300],
      ['l3.simple-po.s1', 'llama-3-3b', 1, 'align', 'preference', 'simpo', 'ultrafeedback', 90],
    ]);
    expect(JSON.parse(String(rows[0]!.metadata))).toEqual({ notes: 'extra metadata is kept' });
    const [ds] = await db.query(
      `SELECT d.name, d.version, d.prompt_set, d.judge, l.name AS lab FROM datasets d JOIN labs l ON l.id = d.lab_id`,
    );
    expect(ds).toEqual({ name: 'value-probe', version: '2024.3', prompt_set: 'probe-v2', judge: 'gpt-judge', lab: 'new-lab' });
  });

  it('stores hard labels (aliased PRO/NEU/CON) as one-hot probabilities', async () => {
    const [r] = await db.query(
      `SELECT count(*) FILTER (WHERE p_support + p_neutral + p_oppose = 1 AND greatest(p_support, p_neutral, p_oppose) = 1) AS onehot FROM observations`,
    );
    const expectedOneHot = generated.filter((g) => g.p.includes(1) && g.p.filter((x) => x === 0).length === 2).length;
    expect(r?.onehot).toBe(expectedOneHot);
  });

  it('checkpoint values, n and half-widths equal an independent computation to 1e-12', async () => {
    const expected = expectedValues(generated);
    const stored = await storedValues(db, result.datasetId);
    expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
    let sawSingle = false;
    for (const [key, e] of expected) {
      const s = stored.get(key)!;
      expect(s.n).toBe(e.n);
      if (e.n === 1) sawSingle = true;
      for (let i = 0; i < 3; i++) {
        expect(Math.abs(s.v[i]! - e.value[i]!)).toBeLessThanOrEqual(1e-12);
        const half = halfWidth(s.sd[i] ?? null, s.n);
        expect(Math.abs(half - e.half[i]!)).toBeLessThanOrEqual(1e-12);
        if (e.sd) expect(Math.abs(s.sd[i]! - e.sd[i]!)).toBeLessThanOrEqual(1e-12);
      }
    }
    expect(sawSingle).toBe(true);
  });

  it('prompt means weigh generations, values weigh prompts equally', async () => {
    // a checkpoint whose prompts have different generation counts: the value must differ from
    // the plain mean over generations in general, and equal the mean of prompt means
    const rows = await db.query(
      `SELECT c.v_support, (SELECT avg(o.p_support) FROM observations o WHERE o.run_id = c.run_id AND o.stage_id = c.stage_id AND o.step = c.step AND o.topic_id = c.topic_id) AS flat,
              (SELECT avg(m.m_support) FROM prompt_means m WHERE m.run_id = c.run_id AND m.stage_id = c.stage_id AND m.step = c.step AND m.topic_id = c.topic_id) AS of_means,
              (SELECT count(DISTINCT m.generations) FROM prompt_means m WHERE m.run_id = c.run_id AND m.stage_id = c.stage_id AND m.step = c.step AND m.topic_id = c.topic_id) AS gen_counts
       FROM checkpoint_values c`,
    );
    const unequal = rows.filter((r) => Number(r.gen_counts) > 1);
    expect(unequal.length).toBeGreaterThan(5);
    for (const r of rows) expect(Math.abs(Number(r.v_support) - Number(r.of_means))).toBeLessThanOrEqual(1e-12);
    expect(unequal.some((r) => Math.abs(Number(r.v_support) - Number(r.flat)) > 1e-6)).toBe(true);
  });
});

describe('the conformance fixture', () => {
  const FIXTURE = path.join(__dirname, '..', 'fixtures', 'conformance');
  interface ValueRow {
    run: string;
    stage: string;
    step: number;
    topic: string;
    n: number;
    support: number;
    neutral: number;
    oppose: number;
    support_half: number;
    neutral_half: number;
    oppose_half: number;
  }
  const metrics = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected', 'metrics.json'), 'utf8')) as {
    confidence: number;
    values: ValueRow[];
  };
  let db: DriftDb;
  let result: IngestResult;

  beforeAll(async () => {
    db = await DriftDb.open(path.join(root, 'conformance.duckdb'));
    await migrate(db);
    result = await ingestBundle(db, FIXTURE);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('ingests the whole fixture (both files)', async () => {
    expect(result.status).toBe('ingested');
    expect(result.files).toBe(2);
    const lines = ['observations.csv', 'observations-labels.csv'].map(
      (f) =>
        fs
          .readFileSync(path.join(FIXTURE, f), 'utf8')
          .split(/\r?\n/)
          .filter((l) => l.length > 0).length - 1,
    );
    expect(result.observations).toBe(lines[0]! + lines[1]!);
    expect(result.runs).toBe(24);
  });

  it('every expected value row matches: value, n and half-width (t at 0.95 from sd) to 1e-9', async () => {
    expect(metrics.confidence).toBe(0.95);
    const stored = await storedValues(db, result.datasetId);
    expect(stored.size).toBe(metrics.values.length);
    for (const e of metrics.values) {
      const s = stored.get(JSON.stringify([e.run, e.stage, e.step, e.topic]));
      if (!s) throw new Error(`no checkpoint value for ${e.run} ${e.stage} ${e.step} ${e.topic}`);
      expect(s.n).toBe(e.n);
      const value = [e.support, e.neutral, e.oppose];
      const half = [e.support_half, e.neutral_half, e.oppose_half];
      for (let i = 0; i < 3; i++) {
        expect(Math.abs(s.v[i]! - value[i]!)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(halfWidth(s.sd[i] ?? null, s.n, metrics.confidence) - half[i]!)).toBeLessThanOrEqual(1e-9);
      }
    }
  });
});
