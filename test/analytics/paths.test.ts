import { type CheckpointValue, type StageSpec } from '../../src/analytics';
import { runPaths } from './run-paths';

function cp(stage: string, step: number, value: number, half = 0, n = 3): CheckpointValue {
  return { stage, step, value, half, n };
}

const threeStages: StageSpec[] = [
  { name: 'base', kind: 'base', totalSteps: null },
  { name: 'sft', kind: 'sft', totalSteps: 100 },
  { name: 'po', kind: 'preference', totalSteps: null },
];

describe('stagePaths', () => {
  it('builds paths in manifest order with start points, own checkpoints sorted by step', () => {
    const paths = runPaths(threeStages, [
      cp('sft', 100, 0.75, 0.125, 4),
      cp('po', 20, 0.375),
      cp('base', 0, 0.5, 0.0625, 5),
      cp('sft', 50, 0.5),
      cp('po', 10, 0.625),
      cp('sft', 0, 0.25),
    ]);
    expect(paths).toEqual([
      { stage: 'base', kind: 'base', T: 0, points: [{ ...cp('base', 0, 0.5, 0.0625, 5), isStart: false }] },
      {
        stage: 'sft',
        kind: 'sft',
        T: 100,
        points: [
          // The start point carries base's last checkpoint (value, half, n) at step 0 of sft,
          // and sft's own step-0 checkpoint stays in after it.
          { stage: 'sft', step: 0, value: 0.5, half: 0.0625, n: 5, isStart: true },
          { ...cp('sft', 0, 0.25), isStart: false },
          { ...cp('sft', 50, 0.5), isStart: false },
          { ...cp('sft', 100, 0.75, 0.125, 4), isStart: false },
        ],
      },
      {
        stage: 'po',
        kind: 'preference',
        T: 20, // no totalSteps: the largest evaluated step
        points: [
          { stage: 'po', step: 0, value: 0.75, half: 0.125, n: 4, isStart: true },
          { ...cp('po', 10, 0.625), isStart: false },
          { ...cp('po', 20, 0.375), isStart: false },
        ],
      },
    ]);
  });

  it('skips stages without checkpoints; the next stage starts from the last non-empty one', () => {
    const paths = runPaths(threeStages, [cp('base', 0, 0.5), cp('po', 10, 0.25)]);
    expect(paths.map((p) => p.stage)).toEqual(['base', 'po']);
    expect(paths[1]!.points[0]).toEqual({ stage: 'po', step: 0, value: 0.5, half: 0, n: 3, isStart: true });
  });

  it('gives the first non-empty stage no start point when the base was not evaluated', () => {
    const paths = runPaths(threeStages, [cp('sft', 40, 0.25), cp('sft', 80, 0.5)]);
    expect(paths).toHaveLength(1);
    expect(paths[0]!.points.map((p) => [p.step, p.isStart])).toEqual([
      [40, false],
      [80, false],
    ]);
  });

  it('returns no paths for a run without checkpoints', () => {
    expect(runPaths(threeStages, [])).toEqual([]);
  });

  it('refuses checkpoints of undeclared stages and duplicate steps', () => {
    expect(() => runPaths(threeStages, [cp('rlhf', 0, 0.5)])).toThrow(/rlhf/);
    expect(() => runPaths(threeStages, [cp('sft', 10, 0.5), cp('sft', 10, 0.25)])).toThrow(/step 10/);
  });
});
