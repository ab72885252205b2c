import { halfWidth, mean, sampleSd, summarise, tQuantile } from '../../src/analytics';

// Reference quantiles from an independent implementation (scipy.stats.t.ppf / R qt).
const T_0975_DF1 = 12.706204736174694;
const T_0975_DF2 = 4.302652729749462;
const T_0975_DF3 = 3.1824463052837078;
const T_0975_DF10 = 2.228138851986274;
const T_095_DF4 = 2.1318467863266495;

describe('mean and sampleSd', () => {
  it('computes the mean and the n−1 standard deviation', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(sampleSd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 15);
  });

  it('keeps its digits on nearly constant data (two-pass, no Σx² − (Σx)²/n cancellation)', () => {
    expect(sampleSd([1e9 + 1, 1e9 + 2, 1e9 + 3])).toBe(1);
    expect(sampleSd([0.2, 0.2, 0.2, 0.2, 0.2])).toBe(0);
  });

  it('refuses an empty mean and leaves sd undefined below two values', () => {
    expect(() => mean([])).toThrow(RangeError);
    expect(sampleSd([0.3])).toBeNaN();
  });
});

describe('tQuantile and halfWidth', () => {
  it('matches reference Student-t quantiles', () => {
    expect(tQuantile(0.975, 1)).toBeCloseTo(T_0975_DF1, 12);
    expect(tQuantile(0.975, 3)).toBeCloseTo(T_0975_DF3, 12);
    expect(tQuantile(0.975, 10)).toBeCloseTo(T_0975_DF10, 12);
    expect(tQuantile(0.95, 4)).toBeCloseTo(T_095_DF4, 12);
  });

  it('is t_{(1+γ)/2, n−1}·sd/√n, and 0 below two prompts', () => {
    expect(halfWidth(1, 4, 0.95)).toBeCloseTo(T_0975_DF3 / 2, 12);
    expect(halfWidth(2, 5, 0.9)).toBeCloseTo((T_095_DF4 * 2) / Math.sqrt(5), 12);
    expect(halfWidth(Number.NaN, 1, 0.95)).toBe(0);
    expect(halfWidth(0.5, 0, 0.95)).toBe(0);
  });

  it('rejects a confidence outside (0, 1)', () => {
    expect(() => halfWidth(1, 4, 1)).toThrow(RangeError);
    expect(() => halfWidth(1, 4, 0)).toThrow(RangeError);
    expect(() => halfWidth(1, 4, 95)).toThrow(RangeError);
  });
});

describe('summarise', () => {
  it('reports mean, sd, se and half-width', () => {
    const s = summarise([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.sd).toBeCloseTo(Math.sqrt(5 / 3), 15);
    expect(s.se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 15);
    expect(s.half).toBeCloseTo((T_0975_DF3 * Math.sqrt(5 / 3)) / 2, 12);
    expect(s.n).toBe(4);
  });

  it('gives null sd/se and a zero half-width for a single value', () => {
    expect(summarise([0.7])).toEqual({ mean: 0.7, sd: null, se: null, half: 0, n: 1 });
  });

  it('uses n − 1 degrees of freedom for two values', () => {
    // sd of [0, 1] is √½, se = ½, half = t_{0.975,1}·½
    expect(summarise([0, 1]).half).toBeCloseTo(T_0975_DF1 / 2, 12);
    expect(summarise([0, 1, 0.5]).half).toBeCloseTo(T_0975_DF2 * (0.5 / Math.sqrt(3)), 12);
  });
});
