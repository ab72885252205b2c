import { valueFromMeanSd } from '../../src/analytics';

const T_0975_DF1 = 12.706204736174694;

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
