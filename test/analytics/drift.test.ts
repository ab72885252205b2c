import {
  distributionShift,
  distributionShiftByStage,
  driftMetrics,
  stageAttribution,
  stageDrift,
  type Attribution,
  type StagePath,
} from '../../src/analytics';
import type { StageKind } from '../../src/domain';
import { runPaths } from './run-paths';

/**
 * Hand-built cases. Values are dyadic (k/2^m) wherever possible so the expected numbers, worked
 * out by hand from README Metrics 5-7, are exact in floating point.
 */

/** A path from [step, value, half] triples; the first is a start point when `withStart`. */
function path(T: number, pts: [number, number, number][], withStart = true, kind: StageKind = 'sft'): StagePath {
  return {
    stage: 'k',
    kind,
    T,
    points: pts.map(([step, value, half], i) => ({ stage: 'k', step, value, half, n: 3, isStart: withStart && i === 0 })),
  };
}

describe('stageDrift', () => {
  it('a run without a base stage: the first stage has no start point but gets metrics', () => {
    const paths = runPaths(
      [
        { name: 'sft', kind: 'sft', totalSteps: 100 },
        { name: 'po', kind: 'preference', totalSteps: 50 },
      ],
      [
        { stage: 'sft', step: 0, value: 0.25, half: 0.125, n: 3 },
        { stage: 'sft', step: 50, value: 0.5, half: 0.0625, n: 3 },
        { stage: 'sft', step: 100, value: 0.375, half: 0, n: 3 },
        { stage: 'po', step: 25, value: 0.125, half: 0.25, n: 3 },
        { stage: 'po', step: 50, value: 0.25, half: 0, n: 3 },
      ],
    );
    expect(driftMetrics(paths)).toEqual([
      {
        // first point = own step 0 (0.25); M = 0.375 − 0.25 ≥ 0 → e = max (0.5 @ 50, h 0.0625);
        // only e itself is within h → t* = 50, η = 50/100.
        stage: 'sft',
        kind: 'sft',
        magnitude: 0.125,
        magnitudeLast: 0.125,
        magnitudeExtremum: 0.25,
        driftTime: 0.5,
        startValue: 0.25,
        endValue: 0.375,
        extremumValue: 0.5,
        extremumStep: 50,
      },
      {
        // start 0.375 → M = 0.25 − 0.375 < 0 → e = min (0.125 @ 25, h 0.25); the start point is
        // exactly h away (|0.375 − 0.125| = 0.25 ≤ 0.25) → t* = 0.
        stage: 'po',
        kind: 'preference',
        magnitude: -0.125,
        magnitudeLast: -0.125,
        magnitudeExtremum: -0.25,
        driftTime: 0,
        startValue: 0.375,
        endValue: 0.25,
        extremumValue: 0.125,
        extremumStep: 25,
      },
    ]);
  });

  it('a stage with a single checkpoint after a start point', () => {
    // start 0.5, own 0.75 @ 100 (h 0.0625), T 200: M = 0.25, e = own, start is 0.25 away → t* = 100.
    const d = stageDrift(
      path(200, [
        [0, 0.5, 0.125],
        [100, 0.75, 0.0625],
      ]),
    );
    expect(d).toMatchObject({ magnitude: 0.25, magnitudeExtremum: 0.25, driftTime: 0.5, extremumStep: 100 });
  });

  it('a first stage with a single checkpoint and no totalSteps: M = 0, η = step/step = 1', () => {
    const [d] = driftMetrics(
      runPaths([{ name: 'sft', kind: 'sft', totalSteps: null }], [{ stage: 'sft', step: 100, value: 0.75, half: 0, n: 3 }]),
    );
    expect(d).toMatchObject({ magnitude: 0, magnitudeExtremum: 0, driftTime: 1, extremumValue: 0.75, extremumStep: 100 });
  });

  it('an evaluated own step 0 stays after the start point; ties go to the earliest point', () => {
    // Path: start 0.5, own@0 0.25, own@10 0.5. M = 0 → e = largest v, tied between the start
    // point and step 10 → the start point. e' = own@0 (|0.25 − 0.5| is the largest).
    const paths = runPaths(
      [
        { name: 'base', kind: 'base', totalSteps: null },
        { name: 'sft', kind: 'sft', totalSteps: 10 },
      ],
      [
        { stage: 'base', step: 0, value: 0.5, half: 0, n: 3 },
        { stage: 'sft', step: 0, value: 0.25, half: 0, n: 3 },
        { stage: 'sft', step: 10, value: 0.5, half: 0, n: 3 },
      ],
    );
    expect(driftMetrics(paths)).toEqual([
      {
        stage: 'sft',
        kind: 'sft',
        magnitude: 0,
        magnitudeLast: 0,
        magnitudeExtremum: -0.25,
        driftTime: 0,
        startValue: 0.5,
        endValue: 0.5,
        extremumValue: 0.5,
        extremumStep: 0,
      },
    ]);
    expect(stageAttribution(paths).stages[0]!.pathLength).toBe(0.5);
  });

  it('picks the earliest of tied minima, and t* is the smallest qualifying step', () => {
    // M = 0.5 − 0.75 < 0 → e = min 0.25, tied at steps 10 and 30 → step 10; h_e = 0 so the
    // points equal to 0.25 qualify → t* = 10 → η = 10/40.
    const d = stageDrift(
      path(40, [
        [0, 0.75, 0],
        [10, 0.25, 0],
        [20, 0.5, 0],
        [30, 0.25, 0],
        [40, 0.5, 0],
      ]),
    );
    expect(d).toMatchObject({ magnitude: -0.25, magnitudeExtremum: -0.5, driftTime: 0.25, extremumValue: 0.25, extremumStep: 10 });
  });

  it('counts points before e that lie within h_e (a plateau reached early)', () => {
    // M = 0.5 − 0.25 ≥ 0 → e = max 1 @ 30 with h 0.25; 0.75 @ 10 is within → t* = 10.
    const d = stageDrift(
      path(40, [
        [0, 0.25, 0],
        [10, 0.75, 0],
        [20, 0.5, 0],
        [30, 1, 0.25],
        [40, 0.5, 0],
      ]),
    );
    expect(d).toMatchObject({ extremumStep: 30, driftTime: 0.25 });
  });

  it('uses the largest evaluated step as T when totalSteps is missing', () => {
    const [d] = driftMetrics(
      runPaths(
        [
          { name: 'base', kind: 'base', totalSteps: null },
          { name: 'po', kind: 'preference', totalSteps: null },
        ],
        [
          { stage: 'base', step: 0, value: 0.5, half: 0, n: 3 },
          { stage: 'po', step: 20, value: 0.75, half: 0.125, n: 3 },
          { stage: 'po', step: 40, value: 0.625, half: 0, n: 3 },
        ],
      ),
    );
    // e = 0.75 @ 20 (h 0.125); 0.625 @ 40 qualifies too, the start (0.25 away) does not → t* = 20, T = 40.
    expect(d).toMatchObject({ magnitude: 0.125, driftTime: 0.5, extremumStep: 20 });
  });

  it('a stage with no movement: M = 0, e = the first point, η = 0', () => {
    const d = stageDrift(
      path(20, [
        [0, 0.5, 0],
        [10, 0.5, 0],
        [20, 0.5, 0],
      ]),
    );
    expect(d).toMatchObject({ magnitude: 0, magnitudeExtremum: 0, driftTime: 0, extremumValue: 0.5, extremumStep: 0 });
  });

  it('η = 0 when T = 0, whether derived or declared', () => {
    const derived = runPaths(
      [
        { name: 'base', kind: 'base', totalSteps: null },
        { name: 'sft', kind: 'sft', totalSteps: null },
      ],
      [
        { stage: 'base', step: 0, value: 0.5, half: 0, n: 3 },
        { stage: 'sft', step: 0, value: 0.75, half: 0, n: 3 },
      ],
    );
    expect(derived[1]!.T).toBe(0);
    expect(driftMetrics(derived)[0]!.driftTime).toBe(0);
    expect(
      stageDrift(
        path(0, [
          [0, 0.5, 0],
          [10, 0.25, 0],
        ]),
      ).driftTime,
    ).toBe(0);
  });

  it('tests the plateau as |v − v_e| ≤ h_e + ε, so last-bit noise cannot move t*', () => {
    // |0.03 − 0.04| = 0.010000000000000002 in floating point, 2e-18 above h_e = 0.01: within ε,
    // so step 50 qualifies → t* = 50 → η = 0.5.
    expect(
      stageDrift(
        path(100, [
          [0, 0.02, 0],
          [50, 0.03, 0],
          [100, 0.04, 0.01],
        ]),
      ).driftTime,
    ).toBe(0.5);
    // 0.02 is 0.01 beyond the plateau (far more than ε): only step 50 and e qualify.
    expect(
      stageDrift(
        path(100, [
          [0, 0.02, 0],
          [50, 0.0399, 0],
          [100, 0.04, 0.001],
        ]),
      ).driftTime,
    ).toBe(0.5);
  });

  it('EXTREMUM changes the magnitude only; drift time and e follow the LAST magnitude', () => {
    // M_LAST = 0.625 − 0.5 ≥ 0 → e = max 0.625 @ 20 → η = 1; e' = 0.125 @ 10 → −0.375.
    const p = path(20, [
      [0, 0.5, 0],
      [10, 0.125, 0],
      [20, 0.625, 0],
    ]);
    const last = stageDrift(p, 'LAST');
    const extremum = stageDrift(p, 'EXTREMUM');
    expect(last).toMatchObject({ magnitude: 0.125, driftTime: 1, extremumValue: 0.625, extremumStep: 20 });
    expect(extremum).toMatchObject({ magnitude: -0.375, driftTime: 1, extremumValue: 0.625, extremumStep: 20 });
  });

  it('gives base stages no metrics and other kinds their metrics', () => {
    const stages = [
      { name: 'base', kind: 'base' as const, totalSteps: null },
      { name: 'merge', kind: 'other' as const, totalSteps: 1 },
    ];
    expect(driftMetrics(runPaths(stages, [{ stage: 'base', step: 0, value: 0.5, half: 0, n: 3 }]))).toEqual([]);
    const rows = driftMetrics(
      runPaths(stages, [
        { stage: 'base', step: 0, value: 0.5, half: 0, n: 3 },
        { stage: 'merge', step: 1, value: 0.25, half: 0, n: 3 },
      ]),
    );
    expect(rows.map((r) => [r.stage, r.kind, r.magnitude])).toEqual([['merge', 'other', -0.25]]);
  });
});

describe('numerical ties (README Metrics): values within ε = 1e-12 are equal', () => {
  // 0.1 + 0.2 = 0.30000000000000004: equal to 0.3 in exact arithmetic, 5.6e-17 apart in floating point.
  const noisy = 0.1 + 0.2;

  it('a stage that ends where it started has M = 0, and e is then the maximum', () => {
    // The preference stage starts at 0.3 (the SFT end), dips to 0.25 and ends at 0.1 + 0.2.
    // Taken literally M = −5.6e-17 < 0 would make e the minimum 0.25; with ties M = 0 ≥ 0,
    // so e is the earliest point within ε of the maximum: the start point.
    const d = stageDrift(
      path(200, [
        [0, 0.3, 0],
        [100, 0.25, 0],
        [200, noisy, 0],
      ]),
    );
    expect(d.magnitudeLast).toBe(0);
    expect(d.magnitude).toBe(0);
    expect(d.extremumValue).toBe(0.3);
    expect(d.extremumStep).toBe(0);
    // Step 200 lies within h_e + ε = ε of v_e, but step 0 is smaller.
    expect(d.driftTime).toBe(0);
  });

  it('the hard-label case: 26/36 reached by two summation orders', () => {
    // Six prompts with hard labels, 26 of 36 answers in support, summed in two orders.
    const promptMeans = [5 / 6, 4 / 6, 6 / 6, 3 / 6, 5 / 6, 3 / 6];
    const forward = promptMeans.reduce((a, b) => a + b, 0) / 6;
    const backward = [...promptMeans].reverse().reduce((a, b) => a + b, 0) / 6;
    // The SFT stage ended 1.1e-16 above where the preference stage ends: M = −1.1e-16 taken
    // literally, which would make e the stage minimum 0.5.
    const sftEnd = Math.max(forward, backward);
    const poEnd = Math.min(forward, backward);
    expect(sftEnd - poEnd).toBeGreaterThan(0);
    const d = stageDrift(
      path(100, [
        [0, sftEnd, 0.05],
        [50, 0.5, 0.05],
        [100, poEnd, 0.05],
      ]),
    );
    expect(Math.abs(poEnd - 26 / 36)).toBeLessThan(1e-15);
    expect(d.magnitude).toBe(0);
    expect(d.extremumValue).toBe(sftEnd);
    expect(d.extremumStep).toBe(0);
  });

  it('e is the earliest point within ε of the maximum, not the last-bit largest', () => {
    // 0.7 at step 10 and 0.7 + 1e-15 at step 30 are tied; the earlier one is e.
    const d = stageDrift(
      path(40, [
        [0, 0.5, 0],
        [10, 0.7, 0],
        [20, 0.6, 0],
        [30, 0.7 + 1e-15, 0],
        [40, 0.65, 0],
      ]),
    );
    expect(d.extremumStep).toBe(10);
    expect(d.extremumValue).toBe(0.7);
    expect(d.driftTime).toBe(10 / 40);
  });

  it("e' of EXTREMUM is the earliest point within ε of the largest distance", () => {
    // |0.25 − 0.5| = 0.25 and |0.75 − 1e-15 − 0.5| = 0.25 − 1e-15 tie: the earlier (0.25) wins.
    const d = stageDrift(
      path(20, [
        [0, 0.5, 0],
        [10, 0.25, 0],
        [20, 0.75 - 1e-15, 0],
      ]),
      'EXTREMUM',
    );
    expect(d.magnitude).toBe(-0.25);
    // A path whose farthest point is only noise away from the first has EXTREMUM magnitude 0.
    expect(
      stageDrift(
        path(20, [
          [0, 0.3, 0],
          [20, noisy, 0],
        ]),
        'EXTREMUM',
      ).magnitude,
    ).toBe(0);
  });

  it('shares are null when their denominator is at most ε', () => {
    const stages = [
      { name: 'sft', kind: 'sft' as const, totalSteps: 10 },
      { name: 'po', kind: 'preference' as const, totalSteps: 10 },
    ];
    const a = stageAttribution(
      runPaths(stages, [
        { stage: 'sft', step: 0, value: 0.3, half: 0, n: 3 },
        { stage: 'sft', step: 10, value: noisy, half: 0, n: 3 },
        { stage: 'po', step: 10, value: 0.3, half: 0, n: 3 },
      ]),
    );
    expect(a.totalDelta).toBe(0);
    expect(a.stages.map((s) => [s.delta, s.netShare, s.pathShare])).toEqual([
      [0, null, null],
      [0, null, null],
    ]);
    // Path lengths stay as measured: they are sums of distances, not tie-tested values.
    expect(a.stages[0]!.pathLength).toBe(noisy - 0.3);
  });
});

describe('stageAttribution', () => {
  const stages = [
    { name: 'base', kind: 'base' as const, totalSteps: null },
    { name: 'sft', kind: 'sft' as const, totalSteps: 20 },
    { name: 'po', kind: 'preference' as const, totalSteps: 20 },
  ];

  it('splits the total change into stage deltas, net shares and path shares', () => {
    // sft path 0.5 → 0.75 → 0.625: Δ = 0.125, length 0.375; po path 0.625 → 0.25 → 0.375:
    // Δ = −0.25, length 0.5. Σ|Δ| = 0.375, Σ length = 0.875.
    const a = stageAttribution(
      runPaths(stages, [
        { stage: 'base', step: 0, value: 0.5, half: 0, n: 3 },
        { stage: 'sft', step: 10, value: 0.75, half: 0, n: 3 },
        { stage: 'sft', step: 20, value: 0.625, half: 0, n: 3 },
        { stage: 'po', step: 10, value: 0.25, half: 0, n: 3 },
        { stage: 'po', step: 20, value: 0.375, half: 0, n: 3 },
      ]),
    );
    expect(a.totalDelta).toBe(-0.125);
    expect(a.stages.map((s) => [s.stage, s.kind, s.delta, s.pathLength])).toEqual([
      ['sft', 'sft', 0.125, 0.375],
      ['po', 'preference', -0.25, 0.5],
    ]);
    expect(a.stages[0]!.netShare).toBeCloseTo(1 / 3, 15);
    expect(a.stages[1]!.netShare).toBeCloseTo(2 / 3, 15);
    expect(a.stages[0]!.pathShare).toBeCloseTo(3 / 7, 15);
    expect(a.stages[1]!.pathShare).toBeCloseTo(4 / 7, 15);
  });

  it('gives null shares when nothing moved', () => {
    const a = stageAttribution(
      runPaths(stages, [
        { stage: 'base', step: 0, value: 0.5, half: 0, n: 3 },
        { stage: 'sft', step: 10, value: 0.5, half: 0, n: 3 },
        { stage: 'po', step: 10, value: 0.5, half: 0, n: 3 },
      ]),
    );
    expect(a).toEqual({
      totalDelta: 0,
      stages: [
        { stage: 'sft', kind: 'sft', delta: 0, netShare: null, pathLength: 0, pathShare: null },
        { stage: 'po', kind: 'preference', delta: 0, netShare: null, pathLength: 0, pathShare: null },
      ],
    });
  });

  it('gives null net shares but real path shares for a round trip', () => {
    // sft 0.5 → 0.75 → 0.5 moves 0.5 yet nets 0; po does not move.
    const a = stageAttribution(
      runPaths(stages, [
        { stage: 'base', step: 0, value: 0.5, half: 0, n: 3 },
        { stage: 'sft', step: 10, value: 0.75, half: 0, n: 3 },
        { stage: 'sft', step: 20, value: 0.5, half: 0, n: 3 },
        { stage: 'po', step: 10, value: 0.5, half: 0, n: 3 },
      ]),
    );
    expect(a.stages.map((s) => [s.netShare, s.pathShare])).toEqual([
      [null, 1],
      [null, 0],
    ]);
  });

  it('is empty for a run with only a base stage', () => {
    expect(stageAttribution(runPaths(stages, [{ stage: 'base', step: 0, value: 0.5, half: 0, n: 3 }]))).toEqual({
      totalDelta: 0,
      stages: [],
    });
  });
});

describe('distributionShift', () => {
  it('is half the summed absolute stance deltas', () => {
    expect(distributionShift([0.125, -0.25, 0.125])).toBe(0.25);
  });

  function attribution(deltas: Record<string, number>): Attribution {
    return {
      totalDelta: 0,
      stages: Object.entries(deltas).map(([stage, delta]) => ({
        stage,
        kind: 'sft' as const,
        delta,
        netShare: null,
        pathLength: 0,
        pathShare: null,
      })),
    };
  }

  it('is computed per stage across the three stances', () => {
    const shift = distributionShiftByStage([
      attribution({ sft: 0.125, po: -0.25 }),
      attribution({ sft: -0.25, po: 0.125 }),
      attribution({ sft: 0.125, po: 0.125 }),
    ]);
    expect(shift).toEqual(
      new Map([
        ['sft', 0.25],
        ['po', 0.25],
      ]),
    );
  });

  it('is null for a stage some stance lacks, and refuses fewer than three stances', () => {
    const shift = distributionShiftByStage([attribution({ sft: 0.5, po: 0.5 }), attribution({ sft: -0.5 }), attribution({ sft: 0 })]);
    expect(shift.get('sft')).toBe(0.5);
    expect(shift.get('po')).toBeNull();
    expect(() => distributionShiftByStage([attribution({ sft: 0.5 })])).toThrow(RangeError);
  });
});
