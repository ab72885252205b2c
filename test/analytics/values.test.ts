import { checkpointValue, valueFromMeanSd, valueFromMoments } from '../../src/analytics';

const T_0975_DF1 = 12.706204736174694;
const T_0975_DF2 = 4.302652729749462;

describe('checkpointValue', () => {
  it('averages prompt means, each prompt weighing the same', () => {
    // Prompt means 0, 1, 0.5 → v = 0.5, sd = 0.5, h = t_{0.975,2}·0.5/√3.
    const v = checkpointValue([0, 1, 0.5]);
    expect(v.value).toBe(0.5);
    expect(v.n).toBe(3);
    expect(v.half).toBeCloseTo((T_0975_DF2 * 0.5) / Math.sqrt(3), 12);
  });

  it('has a zero half-width for a single prompt', () => {
    expect(checkpointValue([0.25])).toEqual({ value: 0.25, half: 0, n: 1 });
  });

  it('refuses a checkpoint without prompts', () => {
    expect(() => checkpointValue([])).toThrow(RangeError);
  });
});

describe('valueFromMoments', () => {
  it('equals the prompt-mean computation for raw moments', () => {
    // x = 0.25, 0.75: Σx = 1, Σx² = 0.625, sd = √(0.125/1)= √⅛, h = t_{0.975,1}·√⅛/√2 = t/4.
    const v = valueFromMoments(2, 1, 0.625, 0.95);
    expect(v.value).toBe(0.5);
    expect(v.half).toBeCloseTo(T_0975_DF1 / 4, 12);
  });

  it('returns exactly zero spread for a constant set when moments are shifted by a member', () => {
    // Five prompts all at 0.2 (e.g. one support label out of five generations each).
    const x = [0.2, 0.2, 0.2, 0.2, 0.2];
    const shift = 0.2;
    const v = valueFromMoments(
      5,
      x.reduce((a, b) => a + (b - shift), 0),
      x.reduce((a, b) => a + (b - shift) ** 2, 0),
      0.95,
      shift,
    );
    expect(v).toEqual({ value: 0.2, half: 0, n: 5 });
  });

  it('clamps a variance that rounding pushed below zero', () => {
    expect(valueFromMoments(2, 1, 0.4999999999999999, 0.95).half).toBe(0);
  });

  it('ignores the spread for a single prompt', () => {
    expect(valueFromMoments(1, 0.3, 0.09)).toEqual({ value: 0.3, half: 0, n: 1 });
    expect(valueFromMeanSd(1, 0.3, null)).toEqual({ value: 0.3, half: 0, n: 1 });
  });

  it('refuses n = 0', () => {
    expect(() => valueFromMoments(0, 0, 0)).toThrow(RangeError);
    expect(() => valueFromMeanSd(0, 0, 0)).toThrow(RangeError);
  });
});

describe('valueFromMoments precision (documented limitation of raw moments)', () => {
  it('raw moments of a constant set leave a spurious half-width; shifted moments do not', () => {
    const x = [0.7, 0.7, 0.7];
    const raw = valueFromMoments(
      3,
      x.reduce((a, b) => a + b, 0),
      x.reduce((a, b) => a + b * b, 0),
    );
    expect(raw.half).toBeGreaterThan(1e-9);
    const shifted = valueFromMoments(3, 0, 0, 0.95, 0.7);
    expect(shifted).toEqual({ value: 0.7, half: 0, n: 3 });
  });
});
