import { buildTrajectory, downsampleMinMax, emaSmooth, progress, resolveStages, stageOffsets, type StageSpec } from '../../src/analytics';
import { largestEvaluatedSteps, runPaths } from './run-paths';

const stages: StageSpec[] = [
  { name: 'base', kind: 'base', totalSteps: null },
  { name: 'sft', kind: 'sft', totalSteps: 100 },
  { name: 'merge', kind: 'other', totalSteps: 7 },
  { name: 'po', kind: 'preference', totalSteps: null },
];

describe('globalStep and progress', () => {
  // base has only step 0 (T = 0), sft declares 100 but was evaluated up to 80, merge is empty,
  // po has no totalSteps and was evaluated up to 40.
  const checkpoints = [
    { stage: 'base', step: 0, value: 0.5, half: 0, n: 3 },
    { stage: 'sft', step: 40, value: 0.5, half: 0, n: 3 },
    { stage: 'sft', step: 80, value: 0.5, half: 0, n: 3 },
    { stage: 'po', step: 20, value: 0.5, half: 0, n: 3 },
    { stage: 'po', step: 40, value: 0.5, half: 0, n: 3 },
  ];
  const resolved = resolveStages(stages, largestEvaluatedSteps(checkpoints));

  it('resolves T_k as totalSteps, else the largest evaluated step, else 0', () => {
    expect(resolved.map((s) => [s.name, s.T])).toEqual([
      ['base', 0],
      ['sft', 100],
      ['merge', 7],
      ['po', 40],
    ]);
  });

  it('offsets each stage by the T of every earlier declared stage, evaluated or not', () => {
    // merge was never evaluated but trained for its 7 declared steps: po starts at 100 + 7.
    expect([...stageOffsets(resolved)]).toEqual([
      ['base', 0],
      ['sft', 0],
      ['merge', 100],
      ['po', 107],
    ]);
    const points = buildTrajectory(runPaths(stages, checkpoints), stageOffsets(resolved));
    expect(points.map((p) => [p.stage, p.step, p.globalStep])).toEqual([
      ['base', 0, 0],
      ['sft', 40, 40],
      ['sft', 80, 80],
      ['po', 20, 127],
      ['po', 40, 147],
    ]);
  });

  it('is step / T, and 0 when T = 0', () => {
    expect(progress(50, 200)).toBe(0.25);
    expect(progress(0, 0)).toBe(0);
    expect(progress(40, 40)).toBe(1);
  });
});

describe('emaSmooth', () => {
  it('starts at the first value and weighs each new value by α', () => {
    expect(emaSmooth([0, 1, 1], 0.5)).toEqual([0, 0.5, 0.75]);
    expect(emaSmooth([0.25, 0.5, 0.125], 1)).toEqual([0.25, 0.5, 0.125]);
    expect(emaSmooth([], 0.5)).toEqual([]);
  });

  it('rejects weights outside (0, 1]', () => {
    expect(() => emaSmooth([1], 0)).toThrow(RangeError);
    expect(() => emaSmooth([1], 1.5)).toThrow(RangeError);
  });
});

describe('downsampleMinMax', () => {
  const pts = (values: number[]) => values.map((value, i) => ({ i, value }));

  it('keeps the ends and each bucket’s min and max in original order', () => {
    // 8 middle points, maxPoints 6 → 2 buckets: indices 1-4 (1, 9, 3, 4) keep 1 and 2;
    // indices 5-8 (8, 2, 7, 6) keep 5 (max) and 6 (min).
    const values = [5, 1, 9, 3, 4, 8, 2, 7, 6, 0];
    expect(downsampleMinMax(pts(values), 6).map((p) => p.i)).toEqual([0, 1, 2, 5, 6, 9]);
    // An odd budget cannot fit another bucket: still 2 buckets.
    expect(downsampleMinMax(pts(values), 7).map((p) => p.i)).toEqual([0, 1, 2, 5, 6, 9]);
    expect(downsampleMinMax(pts(values), 3).map((p) => p.i)).toEqual([0, 9]);
    expect(downsampleMinMax(pts(values), 10).map((p) => p.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps one point of a flat bucket (the earliest)', () => {
    expect(downsampleMinMax(pts([1, 1, 1, 1, 1, 1]), 4).map((p) => p.i)).toEqual([0, 1, 5]);
  });

  it('never exceeds maxPoints, keeps both ends and preserves order (deterministic sweep)', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let length = 0; length <= 40; length++) {
      const series = pts(Array.from({ length }, random));
      for (let maxPoints = 2; maxPoints <= 14; maxPoints++) {
        const out = downsampleMinMax(series, maxPoints);
        expect(out.length).toBeLessThanOrEqual(Math.max(maxPoints, 0));
        expect(out.length).toBeLessThanOrEqual(length);
        if (length > 0) {
          expect(out[0]!.i).toBe(0);
          expect(out[out.length - 1]!.i).toBe(length - 1);
        }
        for (let k = 1; k < out.length; k++) expect(out[k]!.i).toBeGreaterThan(out[k - 1]!.i);
        expect(downsampleMinMax(series, maxPoints)).toEqual(out);
      }
    }
  });

  it('refuses maxPoints below 2', () => {
    expect(() => downsampleMinMax(pts([1, 2, 3]), 1)).toThrow(RangeError);
  });
});

describe('buildTrajectory', () => {
  const paths = runPaths(stages.slice(0, 2), [
    { stage: 'base', step: 0, value: 0.5, half: 0.25, n: 5 },
    { stage: 'sft', step: 0, value: 0.25, half: 0.125, n: 5 },
    { stage: 'sft', step: 50, value: 0.5, half: 0.125, n: 5 },
    { stage: 'sft', step: 100, value: 0.75, half: 0.25, n: 4 },
  ]);
  const offsets = new Map([
    ['base', 0],
    ['sft', 0],
  ]);

  it('flattens the paths with global steps, progress and the band, without start points', () => {
    expect(
      buildTrajectory(paths, offsets).map((p) => [p.stage, p.step, p.globalStep, p.progress, p.value, p.ciLow, p.ciHigh, p.n]),
    ).toEqual([
      ['base', 0, 0, 0, 0.5, 0.25, 0.75, 5],
      ['sft', 0, 0, 0, 0.25, 0.125, 0.375, 5],
      ['sft', 50, 50, 0.5, 0.5, 0.375, 0.625, 5],
      ['sft', 100, 100, 1, 0.75, 0.5, 1, 4],
    ]);
    expect(buildTrajectory(paths, offsets, { includeStart: true }).map((p) => [p.stage, p.step, p.isStart])).toEqual([
      ['base', 0, false],
      ['sft', 0, true],
      ['sft', 0, false],
      ['sft', 50, false],
      ['sft', 100, false],
    ]);
  });

  it('smooths value and band at full resolution, then downsamples', () => {
    // EMA α = ½ over 0.5, 0.25, 0.5, 0.75 → 0.5, 0.375, 0.4375, 0.59375;
    // halves 0.25, 0.125, 0.125, 0.25 → 0.25, 0.1875, 0.15625, 0.203125.
    const smoothed = buildTrajectory(paths, offsets, { emaAlpha: 0.5 });
    expect(smoothed.map((p) => [p.value, p.half, p.ciLow, p.ciHigh])).toEqual([
      [0.5, 0.25, 0.25, 0.75],
      [0.375, 0.1875, 0.1875, 0.5625],
      [0.4375, 0.15625, 0.28125, 0.59375],
      [0.59375, 0.203125, 0.390625, 0.796875],
    ]);
    expect(buildTrajectory(paths, offsets, { emaAlpha: 0.5, maxPoints: 2 }).map((p) => [p.step, p.value])).toEqual([
      [0, 0.5],
      [100, 0.59375],
    ]);
  });
});
