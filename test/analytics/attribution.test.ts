/**
 * Attribution across runs (README "Attribution across runs"), on hand-made per-run attributions:
 * a run's stages of one kind are summed, null shares do not count, kinds come in training order.
 */
import { summariseAttribution, type Attribution } from '../../src/analytics';

const stage = (kind: 'sft' | 'preference' | 'other', delta: number, netShare: number | null, pathShare: number | null) => ({
  stage: `${kind}-${delta}`,
  kind,
  delta,
  netShare,
  pathLength: Math.abs(delta),
  pathShare,
});

describe('summariseAttribution', () => {
  it('sums a run’s stages of one kind, then averages over runs with a t interval', () => {
    const runs: Attribution[] = [
      // Two preference stages: Δ 0.1 and −0.3 (shares 0.2 and 0.6 of |Δ| 0.5 in all), SFT 0.1.
      {
        totalDelta: -0.1,
        stages: [stage('sft', 0.1, 0.2, 0.25), stage('preference', 0.1, 0.2, 0.25), stage('preference', -0.3, 0.6, 0.5)],
      },
      { totalDelta: 0.4, stages: [stage('preference', 0.2, 0.5, 0.5), stage('sft', 0.2, 0.5, 0.5)] },
      // A run that never moved: shares undefined, deltas 0.
      { totalDelta: 0, stages: [stage('sft', 0, null, null), stage('preference', 0, null, null)] },
    ];
    const [sft, pref, ...rest] = summariseAttribution(runs, 0.95);
    expect(rest).toEqual([]);
    expect(sft!.kind).toBe('sft');
    expect(pref!.kind).toBe('preference');
    expect(pref!.runs).toBe(3);
    // netShare per run: 0.8 and 0.5 (the third is null); mean 0.65, sd √0.045, n 2.
    expect(pref!.netShare!.n).toBe(2);
    expect(pref!.netShare!.mean).toBeCloseTo(0.65, 12);
    expect(pref!.netShare!.sd).toBeCloseTo(Math.sqrt(0.045), 12);
    // t_{0.975, 1} = 12.706204736174698 (R: qt(0.975, 1)).
    expect(pref!.netShare!.ciHigh - pref!.netShare!.mean).toBeCloseTo((12.706204736174698 * Math.sqrt(0.045)) / Math.sqrt(2), 10);
    // delta per run: −0.2, 0.2, 0 → mean 0; absDelta: 0.4, 0.2, 0 → mean 0.2; n counts every run.
    expect(pref!.delta.mean).toBeCloseTo(0, 12);
    expect(pref!.delta.n).toBe(3);
    expect(pref!.absDelta.mean).toBeCloseTo(0.2, 12);
    expect(pref!.pathShare!.mean).toBeCloseTo((0.75 + 0.5) / 2, 12);
    expect(sft!.netShare!.mean + pref!.netShare!.mean).toBeCloseTo((1 + 1) / 2, 12);
  });

  it('gives null shares when no run has one', () => {
    const [only] = summariseAttribution([{ totalDelta: 0, stages: [stage('other', 0, null, null)] }]);
    expect(only).toMatchObject({ kind: 'other', runs: 1, netShare: null, pathShare: null });
    expect(only!.delta).toMatchObject({ mean: 0, n: 1, sd: null });
  });
});
