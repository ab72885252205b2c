/**
 * An unusual bundle end to end: no base stage, a first stage without totalSteps, an evaluated
 * own step 0, a stage of kind `other` with a single checkpoint, hard labels. Every expected
 * number below is worked out by hand from README Metrics (values are fractions of two prompts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { tQuantile } from '../../src/analytics/stats';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();
const bundle = path.join(dir, 'odd');

// support label per prompt at each checkpoint (P1, P2); the other label is 'con'.
const CHECKPOINTS: [string, number, [boolean, boolean]][] = [
  ['sft', 0, [false, false]],
  ['sft', 50, [true, false]],
  ['sft', 200, [true, true]],
  ['po', 0, [true, true]],
  ['po', 100, [false, false]],
  ['x', 5, [true, false]],
];

function writeOddBundle(): void {
  fs.mkdirSync(bundle, { recursive: true });
  const manifest = {
    format: 'drift-trace/v1',
    dataset: { name: 'odd', lab: 'edge-lab', version: '1' },
    runs: [
      {
        id: 'odd-run',
        model: 'm',
        stages: [
          { name: 'sft', kind: 'sft', algorithm: 'sft', dataset: 'd' },
          { name: 'po', kind: 'preference', algorithm: 'dpo', dataset: 'p', totalSteps: 100 },
          { name: 'x', kind: 'other', totalSteps: 10 },
        ],
      },
      {
        id: 'plain-run',
        model: 'm',
        stages: [
          { name: 'base', kind: 'base' },
          { name: 'sft', kind: 'sft', algorithm: 'sft', dataset: 'd', totalSteps: 100 },
          { name: 'po', kind: 'preference', algorithm: 'ppo', dataset: 'p', totalSteps: 50 },
        ],
      },
    ],
    files: [{ path: 'labels.csv' }],
    columns: { label: 'stance' },
    stanceLabels: { pro: 'support', con: 'oppose' },
  };
  const lines = ['run_id,stage,step,topic,prompt_id,generation,label'];
  for (const [stage, step, labels] of CHECKPOINTS) {
    labels.forEach((pro, i) => lines.push(`odd-run,${stage},${step},t,P${i + 1},0,${pro ? 'pro' : 'con'}`));
  }
  // Topic u was evaluated less: not at sft 200, never in stage x. T_sft (200) and the global-step
  // offsets are properties of the run's stages, so u's points sit where t's do.
  for (const [stage, step] of [
    ['sft', 0],
    ['sft', 50],
    ['po', 100],
  ] as const)
    lines.push(`odd-run,${stage},${step},u,U1,0,pro`);
  // A conventional run (base → sft → po) beside the odd one, for grouping by stage kind.
  for (const [stage, step] of [
    ['base', 0],
    ['sft', 100],
    ['po', 50],
  ] as const)
    lines.push(`plain-run,${stage},${step},t,P1,0,pro`);
  fs.writeFileSync(path.join(bundle, 'manifest.json'), JSON.stringify(manifest));
  fs.writeFileSync(path.join(bundle, 'labels.csv'), lines.join('\n') + '\n');
}

describe('edge cases end to end', () => {
  let s: TestServer;
  beforeAll(async () => {
    writeOddBundle();
    s = await startServer(path.join(dir, 'edge.duckdb'), [bundle]);
  });
  afterAll(() => s.close());

  it('trajectory: global steps add earlier T_k (T_sft = largest evaluated step), half-widths from two prompts', async () => {
    const r = await s.gql<{
      trajectories: {
        points: { stage: string; step: number; globalStep: number; progress: number; value: number; ciHigh: number; n: number }[];
      }[];
    }>(
      `{ trajectories(runIds: ["odd-run"], topics: ["t"], stances: [SUPPORT]) { points { stage step globalStep progress value ciHigh n } } }`,
    );
    expect(r.errors).toBeUndefined();
    const h = (tQuantile(0.975, 1) * Math.SQRT1_2) / Math.SQRT2; // sd of {1, 0} is √½, n = 2
    expect(r.data!.trajectories[0]!.points.map((p) => [p.stage, p.step, p.globalStep, p.progress, p.value, p.n])).toEqual([
      ['sft', 0, 0, 0, 0, 2],
      ['sft', 50, 50, 0.25, 0.5, 2],
      ['sft', 200, 200, 1, 1, 2],
      ['po', 0, 200, 0, 1, 2],
      ['po', 100, 300, 1, 0, 2],
      ['x', 5, 305, 0.5, 0.5, 2],
    ]);
    expect(r.data!.trajectories[0]!.points[1]!.ciHigh).toBeCloseTo(0.5 + h, 12);
  });

  it('drift: every non-base stage, including a first stage with no start point and a single-checkpoint stage', async () => {
    const q = (endpoint: string) =>
      s.gql<{
        driftMetrics: {
          stage: string;
          stageKind: string;
          magnitude: number;
          driftTime: number;
          startValue: number;
          endValue: number;
          extremumValue: number;
          extremumStep: number;
        }[];
      }>(
        `{ driftMetrics(runIds: ["odd-run"], topics: ["t"], stances: [SUPPORT], endpoint: ${endpoint}) { stage stageKind magnitude driftTime startValue endValue extremumValue extremumStep } }`,
      );
    const last = (await q('LAST')).data!.driftMetrics;
    expect(last).toEqual([
      // sft: 0 → 0.5 → 1; e = 1 at 200 with h = 0, so t* = 200 and η = 200/200
      { stage: 'sft', stageKind: 'SFT', magnitude: 1, driftTime: 1, startValue: 0, endValue: 1, extremumValue: 1, extremumStep: 200 },
      // po: start 1, own step 0 = 1, then 0 at 100; e = 0 at 100, η = 100/100
      {
        stage: 'po',
        stageKind: 'PREFERENCE',
        magnitude: -1,
        driftTime: 1,
        startValue: 1,
        endValue: 0,
        extremumValue: 0,
        extremumStep: 100,
      },
      // x: start 0, then 0.5 at 5 with h ≈ 6.35: the start point is within h_e, so t* = 0
      { stage: 'x', stageKind: 'OTHER', magnitude: 0.5, driftTime: 0, startValue: 0, endValue: 0.5, extremumValue: 0.5, extremumStep: 5 },
    ]);
    const ext = (await q('EXTREMUM')).data!.driftMetrics;
    expect(ext.map((d) => d.magnitude)).toEqual([1, -1, 0.5]);
  });

  it('attribution: shares and the distribution shift over the three stances', async () => {
    const r = await s.gql<{
      stageAttribution: {
        totalDelta: number;
        stages: { stage: string; delta: number; netShare: number; pathLength: number; pathShare: number; distributionShift: number }[];
      }[];
    }>(
      `{ stageAttribution(runIds: ["odd-run"], topics: ["t"], stances: [SUPPORT]) { totalDelta stages { stage delta netShare pathLength pathShare distributionShift } } }`,
    );
    const a = r.data!.stageAttribution[0]!;
    expect(a.totalDelta).toBeCloseTo(0.5, 12);
    const got = a.stages.map((st) => [st.stage, st.delta, st.netShare, st.pathLength, st.pathShare, st.distributionShift]);
    const want = [
      ['sft', 1, 0.4, 1, 0.4, 1], // oppose moves −1, neutral 0: ½(1 + 1 + 0)
      ['po', -1, 0.4, 1, 0.4, 1],
      ['x', 0.5, 0.2, 0.5, 0.2, 0.5],
    ];
    got.forEach((row, i) =>
      row.forEach((v, j) => (typeof v === 'number' ? expect(v).toBeCloseTo(want[i]![j] as number, 12) : expect(v).toBe(want[i]![j]))),
    );
  });

  it('stays exact for a stage whose value never moves (shares null)', async () => {
    const r = await s.gql<{ stageAttribution: { totalDelta: number; stages: { netShare: number | null; pathShare: number | null }[] }[] }>(
      `{ stageAttribution(runIds: ["odd-run"], topics: ["t"], stances: [NEUTRAL]) { totalDelta stages { netShare pathShare } } }`,
    );
    const a = r.data!.stageAttribution[0]!;
    expect(a.totalDelta).toBe(0);
    expect(a.stages.every((st) => st.netShare === null && st.pathShare === null)).toBe(true);
  });

  it('T_k and global-step offsets belong to the run, not to a topic that was evaluated less', async () => {
    const r = await s.gql<{ trajectories: { points: { stage: string; step: number; globalStep: number; progress: number }[] }[] }>(
      `{ trajectories(runIds: ["odd-run"], topics: ["u"], stances: [SUPPORT]) { points { stage step globalStep progress } } }`,
    );
    expect(r.data!.trajectories[0]!.points).toEqual([
      { stage: 'sft', step: 0, globalStep: 0, progress: 0 },
      { stage: 'sft', step: 50, globalStep: 50, progress: 0.25 },
      { stage: 'po', step: 100, globalStep: 300, progress: 1 },
    ]);
    // u's sft path is 1, 1 (all support): no movement, e = first point, η = 0; po: start 1 → 1.
    const d = await s.gql<{ driftMetrics: { stage: string; magnitude: number; driftTime: number }[] }>(
      `{ driftMetrics(runIds: ["odd-run"], topics: ["u"], stances: [SUPPORT]) { stage magnitude driftTime } }`,
    );
    expect(d.data!.driftMetrics).toEqual([
      { stage: 'sft', magnitude: 0, driftTime: 0 },
      { stage: 'po', magnitude: 0, driftTime: 0 },
    ]);
  });

  it('groups stages by kind and occurrence, not position, across runs with and without a base stage', async () => {
    const r = await s.gql<{
      groupedTrajectories: {
        stages: { stage: string; stageNames: string[]; stageKind: string; occurrenceFromEnd: number; runs: number }[];
      }[];
    }>(
      `{ groupedTrajectories(groupBy: [], topics: ["t"], stances: [SUPPORT], gridPoints: 3) {
          stages { stage stageNames stageKind occurrenceFromEnd runs } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.groupedTrajectories[0]!.stages).toEqual([
      { stage: 'base', stageNames: ['base'], stageKind: 'BASE', occurrenceFromEnd: 0, runs: 1 },
      { stage: 'sft', stageNames: ['sft'], stageKind: 'SFT', occurrenceFromEnd: 0, runs: 2 },
      { stage: 'po', stageNames: ['po'], stageKind: 'PREFERENCE', occurrenceFromEnd: 0, runs: 2 },
      { stage: 'x', stageNames: ['x'], stageKind: 'OTHER', occurrenceFromEnd: 0, runs: 1 },
    ]);
  });
});
