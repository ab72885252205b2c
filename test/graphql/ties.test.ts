/**
 * Exact ties end to end: a hard-label bundle whose preference stage ends exactly where SFT ended
 * (26 of 36 answers in support both times, spread differently over the six prompts, so floating
 * point can put the two values one ulp apart). The expected numbers come from README Metrics with its
 * "Numerical ties" rules, worked out by hand below; two separate ingests (one single-threaded,
 * with the files listed in reverse order) must answer identically.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeBundle, type ManifestJson, type ObsRow } from '../helpers/bundles';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const RUN = 'tie.s0';
const PROMPTS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
/** Support answers (of 6 generations) per prompt at each checkpoint; the rest are oppose. */
const SUPPORT: Record<string, number[]> = {
  'base@0': [3, 3, 3, 3, 3, 3], // 18/36
  'sft@50': [4, 4, 4, 4, 4, 4], // 24/36
  'sft@100': [5, 4, 6, 3, 5, 3], // 26/36
  'po@50': [3, 3, 3, 3, 3, 3], // 18/36: the stage minimum
  'po@100': [4, 3, 6, 3, 5, 5], // 26/36 again
};

function rows(): ObsRow[] {
  const out: ObsRow[] = [];
  for (const [checkpoint, counts] of Object.entries(SUPPORT)) {
    const [stage, step] = checkpoint.split('@') as [string, string];
    PROMPTS.forEach((prompt, i) => {
      for (let g = 0; g < 6; g++) {
        out.push({
          run_id: RUN,
          stage,
          step: Number(step),
          topic: 'gates',
          prompt_id: prompt,
          generation: g,
          stance: g < counts[i]! ? 'PRO' : 'CON',
        });
      }
    });
  }
  return out;
}

function bundle(dir: string, reverseFiles: boolean): string {
  const all = rows();
  const files = [
    { path: 'a.jsonl', rows: all.filter((r) => r.stage !== 'po') },
    { path: 'b.jsonl', rows: all.filter((r) => r.stage === 'po') },
  ];
  if (reverseFiles) files.reverse();
  const manifest: ManifestJson = {
    format: 'drift-trace/v1',
    dataset: { name: 'ties', lab: 'lab-t', version: '1' },
    runs: [
      {
        id: RUN,
        model: 'tiny',
        stages: [
          { name: 'base', kind: 'base' },
          { name: 'sft', kind: 'sft', algorithm: 'sft', dataset: 'd', totalSteps: 100 },
          { name: 'po', kind: 'preference', algorithm: 'dpo', dataset: 'd', totalSteps: 100 },
        ],
      },
    ],
    files: files.map((f) => ({ path: f.path })),
    stanceLabels: { PRO: 'support', CON: 'oppose' },
  };
  return writeBundle(dir, {
    manifest,
    files: Object.fromEntries(files.map((f) => [f.path, f.rows.map((r) => JSON.stringify(r)).join('\n') + '\n'])),
  });
}

const DRIFT = `{ driftMetrics(stances: [SUPPORT, NEUTRAL, OPPOSE]) {
  stance stage magnitude driftTime startValue endValue extremumValue extremumStep } }`;
const EXTREMUM = `{ driftMetrics(stances: [SUPPORT], endpoint: EXTREMUM) { stage magnitude } }`;
const ATTRIBUTION = `{ stageAttribution(stances: [SUPPORT, OPPOSE]) { stance totalDelta stages { stage delta netShare pathShare distributionShift } } }`;

interface DriftRow {
  stance: string;
  stage: string;
  magnitude: number;
  driftTime: number;
  startValue: number;
  endValue: number;
  extremumValue: number;
  extremumStep: number;
}

describe('exact ties through ingest and the API', () => {
  const dir = tempDir();
  const servers: TestServer[] = [];

  beforeAll(async () => {
    servers.push(await startServer(path.join(dir, 'a.duckdb'), [bundle(path.join(dir, 'bundle-a'), false)]));
    servers.push(await startServer(path.join(dir, 'b.duckdb'), [bundle(path.join(dir, 'bundle-b'), true)], { threads: 1 }));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('a preference stage that ends where SFT ended has M = 0 and e at its start point', async () => {
    const res = await servers[0]!.gql<{ driftMetrics: DriftRow[] }>(DRIFT);
    expect(res.errors).toBeUndefined();
    const po = res.data!.driftMetrics.find((r) => r.stance === 'SUPPORT' && r.stage === 'po')!;
    // Path: start 26/36 (SFT's end) → 18/36 @ 50 → 26/36 @ 100. M = 0 (a tie), so e is the
    // earliest point within ε of the maximum: the start point at step 0, and t* = 0.
    expect(po.magnitude).toBe(0);
    expect(po.extremumStep).toBe(0);
    expect(po.extremumValue).toBeCloseTo(26 / 36, 15);
    expect(po.driftTime).toBe(0);
    // Oppose: 10/36 → 18/36 @ 50 → 10/36. M = 0 counts as M ≥ 0, so e is the maximum, 18/36 at
    // step 50; its prompts all sit at 3/6, so h_e = 0 and only step 50 is on the plateau: η = 0.5.
    const poOppose = res.data!.driftMetrics.find((r) => r.stance === 'OPPOSE' && r.stage === 'po')!;
    expect(poOppose.magnitude).toBe(0);
    expect(poOppose.extremumStep).toBe(50);
    expect(poOppose.extremumValue).toBe(0.5);
    expect(poOppose.driftTime).toBe(0.5);
    // Neutral never moves: every value is exactly 0.
    const neutral = res.data!.driftMetrics.filter((r) => r.stance === 'NEUTRAL');
    expect(neutral.map((r) => [r.stage, r.magnitude, r.driftTime, r.extremumStep])).toEqual([
      ['sft', 0, 0, 0],
      ['po', 0, 0, 0],
    ]);
    // SFT moved up: 18/36 → 24/36 @ 50 → 26/36 @ 100; e = step 100 and nothing else is within
    // h_e of it (h_e = t·sd/√6 with prompt means 5,4,6,3,5,3 sixths: sd ≈ 0.198, h ≈ 0.208 —
    // 24/36 is 0.056 below, so step 50 qualifies: t* = 50).
    const sft = res.data!.driftMetrics.find((r) => r.stance === 'SUPPORT' && r.stage === 'sft')!;
    expect(sft.magnitude).toBeCloseTo(8 / 36, 15);
    expect(sft.extremumStep).toBe(100);
    expect(sft.driftTime).toBe(0.5);
  });

  it('EXTREMUM measures to the stage minimum, and attribution gives SFT the whole net change', async () => {
    const ext = await servers[0]!.gql<{ driftMetrics: { stage: string; magnitude: number }[] }>(EXTREMUM);
    expect(ext.data!.driftMetrics.find((r) => r.stage === 'po')!.magnitude).toBeCloseTo(-8 / 36, 15);
    const att = await servers[0]!.gql<{
      stageAttribution: {
        stance: string;
        totalDelta: number;
        stages: { stage: string; delta: number; netShare: number | null; pathShare: number | null; distributionShift: number | null }[];
      }[];
    }>(ATTRIBUTION);
    const support = att.data!.stageAttribution.find((r) => r.stance === 'SUPPORT')!;
    expect(support.totalDelta).toBeCloseTo(8 / 36, 15);
    const [sft, po] = support.stages;
    expect(po!.delta).toBe(0);
    expect(sft!.netShare).toBe(1);
    expect(po!.netShare).toBe(0);
    // Path lengths: SFT 8/36, preference 8/36 down + 8/36 up = 16/36 → shares 1/3 and 2/3.
    expect(sft!.pathShare).toBeCloseTo(1 / 3, 14);
    expect(po!.pathShare).toBeCloseTo(2 / 3, 14);
    // Total variation of the preference stage over the three stances: ½(0 + 0 + 0) = 0.
    expect(po!.distributionShift).toBe(0);
    expect(sft!.distributionShift).toBeCloseTo(8 / 36, 15);
  });

  it('two separate ingests (threads, file order) answer bit for bit the same', async () => {
    for (const query of [DRIFT, EXTREMUM, ATTRIBUTION]) {
      const [a, b] = await Promise.all(servers.map((s) => s.gql(query)));
      expect(b!.data).toEqual(a!.data);
    }
    expect(fs.existsSync(path.join(dir, 'b.duckdb'))).toBe(true);
  });
});
