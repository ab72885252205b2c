import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import {
  DEMO_ALGORITHMS,
  DEMO_GENERATIONS,
  DEMO_MODELS,
  DEMO_PREFERENCE_DATASETS,
  DEMO_PROMPTS_PER_TOPIC,
  DEMO_SFT_DATASETS,
  DEMO_TOPICS,
  writeDemoBundle,
  writeSmallBundle,
} from '../../seeds/demo';

// ---- README, Bundle format manifest shape -----------------------------------------------------------------

const stageSchema = z.looseObject({
  name: z.string().min(1),
  kind: z.enum(['base', 'sft', 'preference', 'other']),
  algorithm: z.string().min(1).optional(),
  dataset: z.string().min(1).optional(),
  totalSteps: z.number().int().nonnegative().optional(),
  hyperparameters: z.record(z.string(), z.unknown()).optional(),
});

const manifestSchema = z.looseObject({
  format: z.literal('drift-trace/v1'),
  dataset: z.looseObject({
    name: z.string().min(1),
    lab: z.string().min(1),
    version: z.string().min(1),
    description: z.string().min(1),
    license: z.string().min(1),
    promptSet: z.string().min(1),
    judge: z.string().min(1),
    visibility: z.string().optional(),
  }),
  runs: z
    .array(
      z.looseObject({
        id: z.string().min(1),
        model: z.string().min(1),
        seed: z.number().int(),
        stages: z.array(stageSchema).min(1),
      }),
    )
    .min(1),
  files: z.array(z.object({ path: z.string().min(1), format: z.enum(['csv', 'jsonl', 'parquet']) })).min(1),
});
type Manifest = z.infer<typeof manifestSchema>;

interface Row {
  run_id: string;
  stage: string;
  step: number;
  topic: string;
  prompt_id: string;
  generation: number;
  p_support: number;
  p_neutral: number;
  p_oppose: number;
}

const CSV_HEADER = 'run_id,stage,step,topic,prompt_id,generation,p_support,p_neutral,p_oppose';

function readManifest(dir: string): Manifest {
  return manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
}

function readRows(dir: string, manifest: Manifest): Row[] {
  const rows: Row[] = [];
  for (const f of manifest.files) {
    const text = fs.readFileSync(path.join(dir, f.path), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    if (f.format === 'csv') {
      expect(lines[0]).toBe(CSV_HEADER);
      for (const line of lines.slice(1)) {
        const c = line.split(',');
        if (c.length !== 9) throw new Error(`${f.path}: expected 9 fields, got ${c.length}: ${line}`);
        rows.push({
          run_id: c[0]!,
          stage: c[1]!,
          step: Number(c[2]),
          topic: c[3]!,
          prompt_id: c[4]!,
          generation: Number(c[5]),
          p_support: Number(c[6]),
          p_neutral: Number(c[7]),
          p_oppose: Number(c[8]),
        });
      }
    } else {
      for (const line of lines) rows.push(JSON.parse(line) as Row);
    }
  }
  return rows;
}

/** Structural checks of a bundle against README, Bundle format; returns the parsed rows. */
function checkBundle(dir: string): { manifest: Manifest; rows: Row[] } {
  const manifest = readManifest(dir);
  const runs = new Map(manifest.runs.map((r) => [r.id, r]));
  expect(runs.size).toBe(manifest.runs.length); // unique run ids
  for (const r of manifest.runs) {
    const names = r.stages.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(r.stages[0]?.kind).toBe('base');
  }
  expect(new Set(manifest.files.map((f) => f.path)).size).toBe(manifest.files.length);
  for (const f of manifest.files) expect(fs.existsSync(path.join(dir, f.path))).toBe(true);

  const rows = readRows(dir, manifest);
  const seen = new Set<string>();
  const runsWithData = new Set<string>();
  let bad = 0;
  const problems: string[] = [];
  const fail = (msg: string, row: Row) => {
    if (problems.length < 10) problems.push(`${msg}: ${JSON.stringify(row)}`);
    bad++;
  };
  for (const row of rows) {
    const run = runs.get(row.run_id);
    const stage = run?.stages.find((s) => s.name === row.stage);
    if (!stage) {
      fail('unknown run or stage', row);
      continue;
    }
    if (!Number.isInteger(row.step) || row.step < 0) fail('bad step', row);
    if (stage.totalSteps !== undefined && row.step > stage.totalSteps) fail('step > totalSteps', row);
    if (stage.kind === 'base' && row.step !== 0) fail('base step != 0', row);
    if (!Number.isInteger(row.generation) || row.generation < 0) fail('bad generation', row);
    if (!row.topic || !row.prompt_id) fail('empty topic/prompt', row);
    const ps = [row.p_support, row.p_neutral, row.p_oppose];
    if (ps.some((p) => !Number.isFinite(p) || p < 0 || p > 1)) fail('probability outside [0,1]', row);
    // DESIGN requires 1e-3; values are rounded to 6 decimals and sum to 1 within float error.
    if (Math.abs(ps[0]! + ps[1]! + ps[2]! - 1) > 1e-6) fail('probabilities do not sum to 1', row);
    if (ps.some((p) => Math.abs(p * 1e6 - Math.round(p * 1e6)) > 1e-6)) fail('more than 6 decimals', row);
    const key = [row.run_id, row.stage, row.step, row.topic, row.prompt_id, row.generation].join('\u0000');
    if (seen.has(key)) fail('duplicate observation key', row);
    seen.add(key);
    runsWithData.add(row.run_id);
  }
  expect(problems).toEqual([]);
  expect(bad).toBe(0);
  expect(runsWithData.size).toBe(runs.size);
  return { manifest, rows };
}

// ---- value computation (README Metrics.1–3.2) ------------------------------------------------------

type Vec = [number, number, number];

/** value[run|stage|step|topic] = mean over prompts of the prompt's mean over generations. */
function values(rows: Row[]): Map<string, Vec> {
  const prompt = new Map<string, { sum: Vec; n: number }>();
  for (const r of rows) {
    const k = [r.run_id, r.stage, r.step, r.topic, r.prompt_id].join('|');
    let a = prompt.get(k);
    if (!a) prompt.set(k, (a = { sum: [0, 0, 0], n: 0 }));
    a.sum[0] += r.p_support;
    a.sum[1] += r.p_neutral;
    a.sum[2] += r.p_oppose;
    a.n++;
  }
  const topic = new Map<string, { sum: Vec; n: number }>();
  for (const [k, a] of prompt) {
    const tk = k.split('|').slice(0, 4).join('|');
    let t = topic.get(tk);
    if (!t) topic.set(tk, (t = { sum: [0, 0, 0], n: 0 }));
    for (let i = 0; i < 3; i++) t.sum[i]! += a.sum[i]! / a.n;
    t.n++;
  }
  const out = new Map<string, Vec>();
  for (const [k, t] of topic) out.set(k, [t.sum[0] / t.n, t.sum[1] / t.n, t.sum[2] / t.n]);
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

// ---- tests ------------------------------------------------------------------------------------

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'driftql-seed-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function dirBytes(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const f of fs.readdirSync(dir).sort()) m.set(f, fs.readFileSync(path.join(dir, f)));
  return m;
}

describe('writeDemoBundle', () => {
  let dir: string;
  let summary: ReturnType<typeof writeDemoBundle>;
  let manifest: Manifest;
  let rows: Row[];
  let v: Map<string, Vec>;

  beforeAll(() => {
    dir = tmpDir();
    summary = writeDemoBundle(dir);
    ({ manifest, rows } = checkBundle(dir));
    v = values(rows);
  });

  const val = (run: string, stage: string, step: number, topic: string, s: 0 | 1 | 2): number => {
    const x = v.get([run, stage, step, topic].join('|'));
    if (!x) throw new Error(`no value for ${run} ${stage} ${step} ${topic}`);
    return x[s];
  };

  test('is deterministic: same seed gives byte-identical files, another seed differs', () => {
    const again = tmpDir();
    writeDemoBundle(again);
    const other = tmpDir();
    writeDemoBundle(other, { seed: 7 });
    const a = dirBytes(dir);
    const b = dirBytes(again);
    const c = dirBytes(other);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [f, buf] of a) expect(b.get(f)!.equals(buf)).toBe(true);
    expect(c.get('manifest.json')!.equals(a.get('manifest.json')!)).toBe(true); // seed changes data only
    const f0 = summary.files[0]!;
    expect(c.get(f0)!.equals(a.get(f0)!)).toBe(false);
  });

  test('summary and manifest describe the paper-shaped grid', () => {
    expect(summary.runs).toBe(48);
    expect(summary.rows).toBe(rows.length);
    expect(summary.rows).toBe(48 * 12 * DEMO_TOPICS.length * DEMO_PROMPTS_PER_TOPIC * DEMO_GENERATIONS);
    expect(summary.rows).toBeLessThanOrEqual(200_000);
    expect(summary.files).toEqual(manifest.files.map((f) => f.path));
    expect(summary.files.length).toBeGreaterThan(1);

    expect(manifest.dataset).toMatchObject({
      name: 'value-drifts-demo',
      lab: 'driftql-demo',
      version: '1',
      license: 'CC-BY-4.0',
      promptSet: 'v-prism-demo',
      judge: 'synthetic-judge',
    });
    expect(new Set(manifest.runs.map((r) => r.model))).toEqual(new Set(DEMO_MODELS));
    for (const r of manifest.runs) {
      expect(r.stages.map((s) => [s.name, s.kind])).toEqual([
        ['base', 'base'],
        ['sft', 'sft'],
        ['po', 'preference'],
      ]);
      const [, sft, po] = r.stages;
      expect(sft).toMatchObject({ algorithm: 'sft', totalSteps: 1200 });
      expect(DEMO_SFT_DATASETS).toContain(sft!.dataset);
      expect(DEMO_ALGORITHMS).toContain(po!.algorithm);
      expect(DEMO_PREFERENCE_DATASETS).toContain(po!.dataset);
      expect(po!.totalSteps).toBe(200);
      expect(typeof po!.hyperparameters?.beta).toBe('number');
      expect(r.id).toBe(`${r.model}.${sft!.dataset}.${po!.algorithm}.${po!.dataset}.s${r.seed}`);
    }
    const cells = new Set(manifest.runs.map((r) => `${r.model}/${r.stages[1]!.dataset}/${r.stages[2]!.algorithm}/${r.stages[2]!.dataset}`));
    expect(cells.size).toBe(2 * 2 * 3 * 4);

    expect(new Set(rows.map((r) => r.topic))).toEqual(new Set(DEMO_TOPICS));
    for (const r of rows.slice(0, 1000)) expect(r.prompt_id).toMatch(/^[A-Z]{3}-\d{3}$/);
    // Each file holds one model's runs.
    for (const f of manifest.files) {
      const text = fs.readFileSync(path.join(dir, f.path), 'utf8');
      const models = new Set(
        text
          .split('\n')
          .slice(1, -1)
          .map((l) => l.split('.')[0]),
      );
      expect(models.size).toBe(1);
    }
  });

  const poRuns = (algorithm: string, dataset: string) =>
    manifest.runs.filter((r) => r.stages[2]!.algorithm === algorithm && r.stages[2]!.dataset === dataset);

  /** Mean over runs × topics of |v(po end) − v(sft end)| for one stance. */
  const poChange = (algorithm: string, dataset: string, s: 0 | 1 | 2): number => {
    const xs: number[] = [];
    for (const r of poRuns(algorithm, dataset))
      for (const t of DEMO_TOPICS) xs.push(Math.abs(val(r.id, 'po', 200, t, s) - val(r.id, 'sft', 1200, t, s)));
    return mean(xs);
  };

  /** Mean signed change over runs × topics. */
  const poSigned = (algorithm: string, dataset: string, s: 0 | 1 | 2): number => {
    const xs: number[] = [];
    for (const r of poRuns(algorithm, dataset))
      for (const t of DEMO_TOPICS) xs.push(val(r.id, 'po', 200, t, s) - val(r.id, 'sft', 1200, t, s));
    return mean(xs);
  };

  test('preference optimisation: value-gap data moves support/oppose, small-gap data barely does', () => {
    expect(poChange('dpo', 'synth-support', 0)).toBeGreaterThan(poChange('ppo', 'ultrafeedback', 0));
    for (const a of DEMO_ALGORITHMS) {
      for (const small of ['ultrafeedback', 'hh-rlhf']) {
        expect(poChange(a, small, 0)).toBeLessThan(0.06);
        expect(poChange(a, 'synth-support', 0)).toBeGreaterThan(poChange(a, small, 0));
        expect(poChange(a, 'synth-oppose', 2)).toBeGreaterThan(poChange(a, small, 2));
      }
      expect(poSigned(a, 'synth-support', 0)).toBeGreaterThan(0.05);
      expect(poSigned(a, 'synth-support', 2)).toBeLessThan(-0.05);
      expect(poSigned(a, 'synth-oppose', 2)).toBeGreaterThan(0.05);
      expect(poSigned(a, 'synth-oppose', 0)).toBeLessThan(-0.05);
    }
  });

  test('algorithms differ with the data fixed: DPO > SimPO > PPO', () => {
    for (const [ds, s] of [
      ['synth-support', 0],
      ['synth-oppose', 2],
    ] as const) {
      expect(poChange('dpo', ds, s)).toBeGreaterThan(poChange('simpo', ds, s));
      expect(poChange('simpo', ds, s)).toBeGreaterThan(poChange('ppo', ds, s));
    }
  });

  test('SFT sets values early: ≥70% of the SFT change by 20% of its steps', () => {
    // Largest evaluated SFT step within the first 20% of 1200 steps.
    const early = Math.max(...[...new Set(rows.filter((r) => r.stage === 'sft').map((r) => r.step))].filter((s) => s <= 240));
    for (const s of [0, 1, 2] as const) {
      const earlyChange: number[] = [];
      const totalChange: number[] = [];
      for (const r of manifest.runs)
        for (const t of DEMO_TOPICS) {
          const start = val(r.id, 'base', 0, t, s);
          earlyChange.push(Math.abs(val(r.id, 'sft', early, t, s) - start));
          totalChange.push(Math.abs(val(r.id, 'sft', 1200, t, s) - start));
        }
      expect(mean(earlyChange) / mean(totalChange)).toBeGreaterThanOrEqual(0.7);
    }
  });

  test('SFT moves values more than small-gap preference optimisation', () => {
    const sft: number[] = [];
    const po: number[] = [];
    for (const r of manifest.runs.filter((r) => ['ultrafeedback', 'hh-rlhf'].includes(r.stages[2]!.dataset!)))
      for (const t of DEMO_TOPICS) {
        sft.push(Math.abs(val(r.id, 'sft', 1200, t, 0) - val(r.id, 'base', 0, t, 0)));
        po.push(Math.abs(val(r.id, 'po', 200, t, 0) - val(r.id, 'sft', 1200, t, 0)));
      }
    expect(mean(sft)).toBeGreaterThan(3 * mean(po));
  });

  test('WildChat vs Alpaca give different post-SFT stances; models differ a little', () => {
    const sftEnd = (model: string, sftDs: string, t: string): number =>
      mean(manifest.runs.filter((r) => r.model === model && r.stages[1]!.dataset === sftDs).map((r) => val(r.id, 'sft', 1200, t, 0)));
    const byData: number[] = [];
    const byModel: number[] = [];
    for (const t of DEMO_TOPICS) {
      for (const m of DEMO_MODELS) byData.push(Math.abs(sftEnd(m, 'wildchat', t) - sftEnd(m, 'alpaca', t)));
      for (const d of DEMO_SFT_DATASETS) byModel.push(Math.abs(sftEnd('llama-3-3b', d, t) - sftEnd('qwen-3-4b', d, t)));
    }
    expect(mean(byData)).toBeGreaterThan(0.1);
    expect(mean(byModel)).toBeGreaterThan(0.005);
    expect(mean(byModel)).toBeLessThan(mean(byData) / 2);
  });

  test('has per-prompt and per-generation variation', () => {
    const r0 = manifest.runs[0]!.id;
    const sample = rows.filter((r) => r.run_id === r0 && r.stage === 'sft' && r.step === 1200 && r.topic === 'immigration');
    expect(new Set(sample.map((r) => r.p_support)).size).toBe(sample.length);
    const promptMeans = [...new Set(sample.map((r) => r.prompt_id))].map((p) =>
      mean(sample.filter((r) => r.prompt_id === p).map((r) => r.p_support)),
    );
    expect(Math.max(...promptMeans) - Math.min(...promptMeans)).toBeGreaterThan(0.01);
  });
});

describe('writeSmallBundle', () => {
  test('defaults: 2 runs, 2 topics, one CSV file, valid and deterministic', () => {
    const a = tmpDir();
    const b = tmpDir();
    const s = writeSmallBundle(a);
    writeSmallBundle(b);
    expect(s.runs).toBe(2);
    expect(s.files).toEqual(['observations.csv']);
    const { manifest, rows } = checkBundle(a);
    expect(manifest.runs).toHaveLength(2);
    expect(rows).toHaveLength(s.rows);
    expect(new Set(rows.map((r) => r.topic))).toEqual(new Set(['immigration', 'abortion']));
    expect(s.rows).toBe(2 * 6 * 2 * 3 * 2);
    for (const [f, buf] of dirBytes(a)) expect(fs.readFileSync(path.join(b, f)).equals(buf)).toBe(true);
  });

  test('jsonl format and many runs keep ids unique', () => {
    const d = tmpDir();
    const s = writeSmallBundle(d, { runs: 50, format: 'jsonl' });
    expect(s.runs).toBe(50);
    expect(s.files).toEqual(['observations.jsonl']);
    const { manifest, rows } = checkBundle(d);
    expect(manifest.files[0]!.format).toBe('jsonl');
    expect(new Set(manifest.runs.map((r) => r.id)).size).toBe(50);
    expect(rows).toHaveLength(s.rows);
    // The first runs span different algorithms and preference datasets.
    expect(new Set(manifest.runs.slice(0, 3).map((r) => r.stages[2]!.algorithm)).size).toBe(3);
    expect(manifest.runs.some((r) => r.seed === 1)).toBe(true);
  });

  test('rejects a bad run count', () => {
    expect(() => writeSmallBundle(tmpDir(), { runs: 0 })).toThrow(/runs/);
  });
});
