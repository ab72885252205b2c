import { checkpointValue, valueFromMeanSd } from '../../src/analytics';

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

describe('valueFromMeanSd', () => {
  it('turns a mean and sample sd into value and half-width', () => {
    // x = 0.25, 0.75: sd = √⅛, h = t_{0.975,1}·√⅛/√2 = t/4.
    const v = valueFromMeanSd(2, 0.5, Math.sqrt(1 / 8), 0.95);
    expect(v.value).toBe(0.5);
    expect(v.half).toBeCloseTo(T_0975_DF1 / 4, 12);
  });

  it('ignores sd (undefined) for one prompt, and refuses none', () => {
    expect(valueFromMeanSd(1, 0.3, null)).toEqual({ value: 0.3, half: 0, n: 1 });
    expect(() => valueFromMeanSd(0, 0.3, null)).toThrow(RangeError);
  });
});
