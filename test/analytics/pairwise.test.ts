import { holmAdjust, pairwiseWelch, welchTTest } from '../../src/analytics/pairwise';
import { UserInputError } from '../../src/errors';

// R's `sleep` data set (Cushny & Peebles), extra hours of sleep by drug.
const SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

describe('welchTTest', () => {
  it("matches R's t.test(extra ~ group, data = sleep) as printed", () => {
    // R: t = -1.8608, df = 17.776, p-value = 0.07939,
    //    95 percent confidence interval: -3.3654832  0.2054832, means 0.75 and 2.33.
    const r = welchTTest(SLEEP_1, SLEEP_2);
    expect(r.meanA).toBeCloseTo(0.75, 12);
    expect(r.meanB).toBeCloseTo(2.33, 12);
    expect(r.difference).toBeCloseTo(-1.58, 12);
    expect(r.t!).toBeCloseTo(-1.8608, 4);
    expect(r.df!).toBeCloseTo(17.776, 3);
    expect(r.pValue!).toBeCloseTo(0.07939, 5);
    expect(r.ciLow!).toBeCloseTo(-3.3654832, 7);
    expect(r.ciHigh!).toBeCloseTo(0.2054832, 7);
    expect(r.note).toBeNull();
  });

  it('follows the Welch–Satterthwaite definitions', () => {
    const a = [1, 2, 3, 4];
    const b = [2, 4, 9];
    // s²_a = 5/3, s²_b = 13; v_a = 5/12, v_b = 13/3.
    const va = 5 / 3 / 4;
    const vb = 13 / 3;
    const r = welchTTest(a, b, 0.9);
    expect(r.se!).toBeCloseTo(Math.sqrt(va + vb), 14);
    expect(r.df!).toBeCloseTo((va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 2), 12);
    expect(r.t!).toBeCloseTo((2.5 - 5) / Math.sqrt(va + vb), 14);
    // The interval is symmetric around the difference and the p-value is two-sided.
    expect((r.ciLow! + r.ciHigh!) / 2).toBeCloseTo(-2.5, 12);
    const mirrored = welchTTest(b, a, 0.9);
    expect(mirrored.pValue!).toBeCloseTo(r.pValue!, 15);
    expect(mirrored.ciLow!).toBeCloseTo(-r.ciHigh!, 12);
  });

  it('keeps tiny p-values (no 1 − cdf cancellation)', () => {
    const a = [10, 10.001, 9.999, 10.0005, 9.9995];
    const b = [0, 0.001, -0.001, 0.0005, -0.0005];
    const r = welchTTest(a, b);
    expect(r.pValue!).toBeGreaterThan(0);
    expect(r.pValue!).toBeLessThan(1e-12);
  });

  it('returns null statistics with a note where R would stop', () => {
    const single = welchTTest([1], [2, 3]);
    expect(single.pValue).toBeNull();
    expect(single.ciLow).toBeNull();
    expect(single.note).toMatch(/at least two observations/);
    expect(single.difference).toBe(-1.5);
    const constant = welchTTest([1, 1], [2, 2]);
    expect(constant.t).toBeNull();
    expect(constant.note).toMatch(/constant/);
  });
});

describe('holmAdjust', () => {
  it('matches p.adjust(p, "holm") worked by hand', () => {
    // Sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max.
    const out = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((e, i) => expect(out[i]!).toBeCloseTo(e, 15));
  });

  it('caps at 1, leaves nulls out of the family size, handles ties', () => {
    const out = holmAdjust([0.5, null, 0.2, 0.2]);
    // m = 3: 0.2·3 = 0.6, 0.2·2 = 0.4 → 0.6, 0.5·1 → 0.6.
    expect(out[1]).toBeNull();
    expect(out[0]!).toBeCloseTo(0.6, 15);
    expect(out[2]!).toBeCloseTo(0.6, 15);
    expect(out[3]!).toBeCloseTo(0.6, 15);
    expect(holmAdjust([0.6, 0.7])).toEqual([1, 1]);
    expect(holmAdjust([])).toEqual([]);
  });
});

describe('pairwiseWelch', () => {
  // Algorithms within datasets; ppo has a single run on "b", so its pairs there have no test.
  const rows: [string, string, number][] = [
    ['dpo', 'a', 1.0],
    ['dpo', 'a', 1.4],
    ['dpo', 'a', 0.9],
    ['ppo', 'a', 2.1],
    ['ppo', 'a', 2.6],
    ['simpo', 'a', 1.2],
    ['simpo', 'a', 1.9],
    ['dpo', 'b', 0.2],
    ['dpo', 'b', 0.5],
    ['ppo', 'b', 0.4],
    ['simpo', 'b', 3.0],
    ['simpo', 'b', 3.3],
    ['simpo', 'b', 2.8],
  ];
  const input = {
    y: rows.map((r) => r[2]),
    factor: { name: 'ALGORITHM', values: rows.map((r) => r[0]) },
    within: { name: 'DATASET', values: rows.map((r) => r[1]) },
  };

  it('compares every pair within each stratum and Holm-adjusts the whole family', () => {
    const result = pairwiseWelch(input);
    expect(result).toMatchObject({ factor: 'ALGORITHM', within: 'DATASET', confidence: 0.95, adjustment: 'holm' });
    expect(result.comparisons.map((c) => [c.within, c.levelA, c.levelB])).toEqual([
      ['a', 'dpo', 'ppo'],
      ['a', 'dpo', 'simpo'],
      ['a', 'ppo', 'simpo'],
      ['b', 'dpo', 'ppo'],
      ['b', 'dpo', 'simpo'],
      ['b', 'ppo', 'simpo'],
    ]);
    const pick = (s: string, lv: string): number[] => rows.filter((r) => r[1] === s && r[0] === lv).map((r) => r[2]);
    const expected = [
      welchTTest(pick('a', 'dpo'), pick('a', 'ppo')),
      welchTTest(pick('a', 'dpo'), pick('a', 'simpo')),
      welchTTest(pick('a', 'ppo'), pick('a', 'simpo')),
      welchTTest(pick('b', 'dpo'), pick('b', 'ppo')),
      welchTTest(pick('b', 'dpo'), pick('b', 'simpo')),
      welchTTest(pick('b', 'ppo'), pick('b', 'simpo')),
    ];
    result.comparisons.forEach((c, i) => expect(c).toMatchObject(expected[i]!));
    // Two pairs involve the single ppo run on "b": no test, and the family has 4 members.
    expect(result.comparisons[3]!.pValue).toBeNull();
    expect(result.comparisons[5]!.pAdjusted).toBeNull();
    const ps = [0, 1, 2, 4].map((i) => result.comparisons[i]!.pValue!);
    const adjusted = holmAdjust(ps);
    [0, 1, 2, 4].forEach((ci, k) => expect(result.comparisons[ci]!.pAdjusted).toBe(adjusted[k]));
    for (const k of [0, 1, 2, 4]) {
      expect(result.comparisons[k]!.pAdjusted!).toBeGreaterThanOrEqual(result.comparisons[k]!.pValue!);
    }
  });

  it('without a stratifying factor compares over all observations', () => {
    const result = pairwiseWelch({ y: input.y, factor: input.factor, confidence: 0.9 });
    expect(result.within).toBeNull();
    expect(result.comparisons).toHaveLength(3);
    expect(result.comparisons.every((c) => c.within === null)).toBe(true);
    const all = (lv: string): number[] => rows.filter((r) => r[0] === lv).map((r) => r[2]);
    expect(result.comparisons[0]).toMatchObject(welchTTest(all('dpo'), all('ppo'), 0.9));
  });

  it('rejects a factor with one level and misaligned input', () => {
    expect(() => pairwiseWelch({ y: [1, 2], factor: { name: 'ALGORITHM', values: ['dpo', 'dpo'] } })).toThrow(UserInputError);
    expect(() => pairwiseWelch({ y: [1, 2], factor: { name: 'ALGORITHM', values: ['dpo'] } })).toThrow(RangeError);
    expect(() => pairwiseWelch({ ...input, confidence: 1 })).toThrow(RangeError);
  });
});
