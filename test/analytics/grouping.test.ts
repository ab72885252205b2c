import { aggregateAcrossRuns, alignGroup, interpolateOnGrid, progressGrid, progressPoints, stageSlots } from '../../src/analytics';
import { runPaths } from './run-paths';

// Reference quantiles from an independent implementation (scipy.stats.t.ppf / R qt).
const T_0975_DF1 = 12.706204736174694;
const T_0975_DF2 = 4.302652729749462;

describe('progressGrid', () => {
  it('spaces gridSize points evenly over [0, 1], ends included', () => {
    expect(progressGrid(5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(progressGrid(2)).toEqual([0, 1]);
    expect(progressGrid(7)[6]).toBe(1);
    expect(() => progressGrid(1)).toThrow(RangeError);
  });
});

describe('interpolateOnGrid', () => {
  it('interpolates linearly and is null past the last evaluated progress', () => {
    expect(
      interpolateOnGrid(
        [
          { progress: 0, value: 0.25 },
          { progress: 0.5, value: 0.75 },
        ],
        5,
      ),
    ).toEqual([0.25, 0.5, 0.75, null, null]);
  });

  it('is null before the first evaluated progress', () => {
    expect(
      interpolateOnGrid(
        [
          { progress: 0.5, value: 1 },
          { progress: 1, value: 0 },
        ],
        5,
      ),
    ).toEqual([null, null, 1, 0.5, 0]);
  });

  it('sorts its input and lets the last of equal-progress points carry on', () => {
    // The start point (0.25) and an own step-0 checkpoint (0.75) share progress 0.
    expect(
      interpolateOnGrid(
        [
          { progress: 1, value: 0.5 },
          { progress: 0, value: 0.25 },
          { progress: 0, value: 0.75 },
        ],
        3,
      ),
    ).toEqual([0.75, 0.625, 0.5]);
  });

  it('hits evaluated points between grid nodes without snapping', () => {
    // Points at 0, 0.3, 1 on a 3-point grid: x = 0.5 lies on the 0.3 → 1 segment.
    const [, mid] = interpolateOnGrid(
      [
        { progress: 0, value: 0 },
        { progress: 0.3, value: 0.3 },
        { progress: 1, value: 1 },
      ],
      3,
    );
    expect(mid).toBeCloseTo(0.5, 15);
  });

  it('is all null for an empty path and a single value for a one-point path', () => {
    expect(interpolateOnGrid([], 3)).toEqual([null, null, null]);
    expect(interpolateOnGrid([{ progress: 1, value: 0.5 }], 3)).toEqual([null, null, 0.5]);
  });
});

describe('aggregateAcrossRuns', () => {
  it('averages the runs present at each grid point with a t interval across runs', () => {
    const [p0, p1, p2] = aggregateAcrossRuns(
      [
        [1, 2, null],
        [3, null, null],
        [5, 4, null],
      ],
      0.95,
    );
    // p0: 1, 3, 5 → mean 3, sd 2, se 2/√3, half t_{0.975,2}·2/√3.
    expect(p0!.n).toBe(3);
    expect(p0!.mean).toBe(3);
    expect(p0!.sd).toBe(2);
    expect(p0!.se).toBeCloseTo(2 / Math.sqrt(3), 15);
    expect(p0!.ciLow).toBeCloseTo(3 - (T_0975_DF2 * 2) / Math.sqrt(3), 12);
    expect(p0!.ciHigh).toBeCloseTo(3 + (T_0975_DF2 * 2) / Math.sqrt(3), 12);
    // p1: 2, 4 → mean 3, sd √2, se 1, half t_{0.975,1}.
    expect(p1!.n).toBe(2);
    expect(p1!.sd).toBeCloseTo(Math.SQRT2, 15);
    expect(p1!.se).toBeCloseTo(1, 15);
    expect(p1!.ciLow).toBeCloseTo(3 - T_0975_DF1, 12);
    expect(p1!.ciHigh).toBeCloseTo(3 + T_0975_DF1, 12);
    expect(p2).toEqual({ mean: null, sd: null, se: null, ciLow: null, ciHigh: null, n: 0 });
  });

  it('reports a lone run without spread', () => {
    expect(aggregateAcrossRuns([[0.5]])).toEqual([{ mean: 0.5, sd: null, se: null, ciLow: 0.5, ciHigh: 0.5, n: 1 }]);
  });

  it('refuses series of different lengths and handles no runs', () => {
    expect(() => aggregateAcrossRuns([[1, 2], [1]])).toThrow(RangeError);
    expect(aggregateAcrossRuns([])).toEqual([]);
  });
});

describe('stage alignment of grouped trajectories (README Metrics, "Grouped trajectories")', () => {
  const cp = (stage: string, step: number, value: number) => ({ stage, step, value, half: 0, n: 3 });

  it('numbers each declared stage by its occurrence of its kind counted from the run’s end', () => {
    const slots = stageSlots([
      { name: 'base', kind: 'base' },
      { name: 'sft', kind: 'sft' },
      { name: 'dpo', kind: 'preference' },
      { name: 'merge', kind: 'other' },
      { name: 'ppo', kind: 'preference' },
    ]);
    expect([...slots]).toEqual([
      ['ppo', { kind: 'preference', occurrenceFromEnd: 0 }],
      ['merge', { kind: 'other', occurrenceFromEnd: 0 }],
      ['dpo', { kind: 'preference', occurrenceFromEnd: 1 }],
      ['sft', { kind: 'sft', occurrenceFromEnd: 0 }],
      ['base', { kind: 'base', occurrenceFromEnd: 0 }],
    ]);
  });

  it('lines up the last preference stage of a two-preference run with the single one of another run', () => {
    // Run A: base → sft → po (T 10). Run B: sft → po1 → po2 (T 10). A.po and B.po2 share a slot;
    // B.po1 is a slot of its own (preference, occurrence 1).
    const aStages = [
      { name: 'base', kind: 'base' as const, totalSteps: null },
      { name: 'sft', kind: 'sft' as const, totalSteps: 10 },
      { name: 'po', kind: 'preference' as const, totalSteps: 10 },
    ];
    const bStages = [
      { name: 'sft', kind: 'sft' as const, totalSteps: 10 },
      { name: 'po1', kind: 'preference' as const, totalSteps: 10 },
      { name: 'po2', kind: 'preference' as const, totalSteps: 10 },
    ];
    const a = [cp('base', 0, 0.5), cp('sft', 10, 0.5), cp('po', 10, 0.75)];
    const b = [cp('sft', 10, 0.25), cp('po1', 10, 0.5), cp('po2', 10, 0.25)];
    const aligned = alignGroup(
      [
        { stages: aStages, paths: runPaths(aStages, a) },
        { stages: bStages, paths: runPaths(bStages, b) },
      ],
      3,
    );
    expect(aligned.map((s) => [s.kind, s.occurrenceFromEnd, s.stageNames, s.runs])).toEqual([
      ['base', 0, ['base'], 1],
      ['sft', 0, ['sft'], 2],
      ['preference', 1, ['po1'], 1],
      ['preference', 0, ['po', 'po2'], 2],
    ]);
    // Last slot: A goes 0.5 → 0.75, B goes 0.5 → 0.25 over progress 0..1; means 0.5, 0.5, 0.5.
    const last = aligned[3]!;
    expect(last.points.map((p) => [p.progress, p.mean, p.n])).toEqual([
      [0, 0.5, 2],
      [0.5, 0.5, 2],
      [1, 0.5, 2],
    ]);
    expect(last.drift!.magnitude.mean).toBe(0);
    expect(last.drift!.magnitude.n).toBe(2);
  });

  it('leaves a slot empty for a run with no data there', () => {
    const stages = [
      { name: 'sft', kind: 'sft' as const, totalSteps: 10 },
      { name: 'po', kind: 'preference' as const, totalSteps: 10 },
    ];
    const aligned = alignGroup(
      [
        { stages, paths: runPaths(stages, [cp('sft', 10, 0.5), cp('po', 10, 0.75)]) },
        { stages, paths: runPaths(stages, [cp('sft', 10, 0.25)]) },
      ],
      2,
    );
    expect(aligned.map((s) => [s.stageNames, s.runs])).toEqual([
      [['sft'], 2],
      [['po'], 1],
    ]);
  });

  it('interpolates with the stage’s own step-0 checkpoint where the start point sits at progress 0 too', () => {
    const stages = [
      { name: 'sft', kind: 'sft' as const, totalSteps: 10 },
      { name: 'po', kind: 'preference' as const, totalSteps: 10 },
    ];
    const [, po] = runPaths(stages, [cp('sft', 10, 0.25), cp('po', 0, 0.5), cp('po', 10, 1)]);
    expect(progressPoints(po!)).toEqual([
      { progress: 0, value: 0.5 },
      { progress: 1, value: 1 },
    ]);
    // Without an own step 0, the start point carries the previous stage's last value.
    const [, po2] = runPaths(stages, [cp('sft', 10, 0.25), cp('po', 10, 1)]);
    expect(progressPoints(po2!)).toEqual([
      { progress: 0, value: 0.25 },
      { progress: 1, value: 1 },
    ]);
    expect(interpolateOnGrid(progressPoints(po!), 3)).toEqual([0.5, 0.75, 1]);
  });
});
