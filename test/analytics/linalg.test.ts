import {
  Matrix,
  QrDecomposition,
  extraSumOfSquares,
  invertUpperTriangular,
  leastSquares,
  norm2,
  waldSumOfSquares,
} from '../../src/analytics/linalg';

function expectVectorClose(actual: ArrayLike<number | null>, expected: (number | null)[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i];
    if (e === null) expect(a).toBeNull();
    else expect(Math.abs((a as number) - e)).toBeLessThan(tol);
  });
}

describe('Matrix', () => {
  const a = Matrix.fromRows([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('stores column-major and round-trips rows', () => {
    expect(Array.from(a.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(a.get(1, 2)).toBe(6);
    expect(a.toRows()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(
      Matrix.fromColumns([
        [1, 4],
        [2, 5],
        [3, 6],
      ]).toRows(),
    ).toEqual(a.toRows());
  });

  it('transposes, multiplies and selects columns', () => {
    expect(a.transpose().toRows()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    // [1 2 3; 4 5 6] · [1 0; 0 1; 1 1] = [4 5; 10 11]
    expect(
      a
        .multiply(
          Matrix.fromRows([
            [1, 0],
            [0, 1],
            [1, 1],
          ]),
        )
        .toRows(),
    ).toEqual([
      [4, 5],
      [10, 11],
    ]);
    expect(Array.from(a.multiplyVector([1, -1, 2]))).toEqual([5, 11]);
    expect(a.selectColumns([2, 0]).toRows()).toEqual([
      [3, 1],
      [6, 4],
    ]);
    expect(Matrix.identity(2).multiply(a).toRows()).toEqual(a.toRows());
  });

  it('rejects mismatched shapes', () => {
    expect(() => a.multiply(a)).toThrow(RangeError);
    expect(() => Matrix.fromRows([[1, 2], [3]])).toThrow(RangeError);
    expect(() => a.selectColumns([3])).toThrow(RangeError);
  });
});

describe('vector helpers', () => {
  it('a scaled norm that neither overflows nor underflows', () => {
    expect(norm2([3, 4])).toBe(5);
    expect(norm2([3e200, 4e200]) / 5e200).toBeCloseTo(1, 14);
    expect(norm2([3e-200, 4e-200]) / 5e-200).toBeCloseTo(1, 14);
    expect(norm2([0, 0])).toBe(0);
    expect(norm2([9, 3, 4], 1)).toBe(5);
  });
});

describe('leastSquares', () => {
  it('fits a line through three points (hand-computed)', () => {
    // x = 0, 1, 2; y = 1, 2, 4: slope Sxy/Sxx = 3/2, intercept 7/3 − 3/2 = 5/6,
    // residuals 1/6, −1/3, 1/6 → RSS = 1/6.
    const x = Matrix.fromRows([
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    const fit = leastSquares(x, [1, 2, 4]);
    expectVectorClose(fit.coefficients, [5 / 6, 3 / 2]);
    expect(fit.rank).toBe(2);
    expect(fit.residualDf).toBe(1);
    expect(fit.rss).toBeCloseTo(1 / 6, 14);
    // Effects: |Qᵀy|² = |y|², the first effect is the intercept's √n·ȳ (up to sign).
    expect(fit.effects.reduce((s, e) => s + e * e, 0)).toBeCloseTo(1 + 4 + 16, 12);
    expect(Math.abs(fit.effects[0]!)).toBeCloseTo(Math.sqrt(3) * (7 / 3), 12);
    // Second effect squared = SS of the slope after the intercept = Sxy²/Sxx = 9/2.
    expect(fit.effects[1]! ** 2).toBeCloseTo(4.5, 12);
  });

  it('solves a square system exactly', () => {
    // 2a + b = 5, a + 3b = 10 → a = 1, b = 3.
    const fit = leastSquares(
      Matrix.fromRows([
        [2, 1],
        [1, 3],
      ]),
      [5, 10],
    );
    expectVectorClose(fit.coefficients, [1, 3]);
    expect(fit.rss).toBeLessThan(1e-25);
    expect(fit.residualDf).toBe(0);
  });

  it('handles a first column with a zero leading entry', () => {
    const fit = leastSquares(
      Matrix.fromRows([
        [0, 1],
        [1, 0],
        [1, 1],
      ]),
      [1, 2, 3],
    );
    expectVectorClose(fit.coefficients, [2, 1]);
    expect(fit.rss).toBeLessThan(1e-25);
  });

  it('detects a duplicated column and aliases the later copy, like R', () => {
    // Columns: 1, x, 2x, x². lm(y ~ x + I(2*x) + I(x^2)) reports NA for I(2*x).
    const xs = [0, 1, 2, 3, 4];
    const x = Matrix.fromColumns([xs.map(() => 1), xs, xs.map((v) => 2 * v), xs.map((v) => v * v)]);
    const y = xs.map((v) => 1 + 2 * v + 0.5 * v * v);
    const fit = leastSquares(x, y);
    expect(fit.rank).toBe(3);
    expect(fit.qr.aliased).toEqual([false, false, true, false]);
    expect(fit.qr.pivot).toEqual([0, 1, 3, 2]);
    expectVectorClose(fit.coefficients, [1, 2, null, 0.5], 1e-10);
    expect(fit.rss).toBeLessThan(1e-20);
    expect(fit.residualDf).toBe(2);
  });

  it('always aliases an all-zero column', () => {
    const x = Matrix.fromColumns([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    const fit = leastSquares(x, [1, 2, 3]);
    expect(fit.qr.aliased).toEqual([true, false]);
    expectVectorClose(fit.coefficients, [null, 2]);
    expect(fit.rss).toBeCloseTo(2, 12);
  });

  it('aliases a column that is dependent on several earlier ones (cell means coding)', () => {
    // Intercept + indicators of all three groups: the last indicator = intercept − the others.
    const g = [0, 0, 1, 1, 2, 2];
    const cols = [g.map(() => 1), g.map((v) => (v === 0 ? 1 : 0)), g.map((v) => (v === 1 ? 1 : 0)), g.map((v) => (v === 2 ? 1 : 0))];
    const y = [1, 3, 4, 6, 10, 12];
    const fit = leastSquares(Matrix.fromColumns(cols), y);
    expect(fit.rank).toBe(3);
    expect(fit.qr.aliased).toEqual([false, false, false, true]);
    // Group means 2, 5, 11: intercept = 11 (the aliased group is the baseline), offsets −9 and −6.
    expectVectorClose(fit.coefficients, [11, -9, -6, null], 1e-10);
    expect(fit.rss).toBeCloseTo(6, 12); // each pair deviates by ±1
  });

  it('with more columns than rows keeps the first n independent ones', () => {
    const x = Matrix.fromRows([
      [1, 0, 1],
      [0, 1, 1],
    ]);
    const fit = leastSquares(x, [2, 3]);
    expect(fit.rank).toBe(2);
    expect(fit.qr.aliased).toEqual([false, false, true]);
    expectVectorClose(fit.coefficients, [2, 3, null]);
  });

  it('exposes R so that RᵀR = XᵀX', () => {
    const x = Matrix.fromRows([
      [1, 2],
      [1, 3],
      [1, 7],
      [1, -1],
    ]);
    const r = new QrDecomposition(x).r();
    const rtr = r.transpose().multiply(r).toRows();
    const xtx = x.transpose().multiply(x).toRows();
    rtr.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(xtx[i]![j]!, 12)));
    expect(r.get(1, 0)).toBe(0);
  });
});

describe('extraSumOfSquares', () => {
  // Two groups, y = 1, 3 | 6, 8: grand mean 4.5, group means 2 and 7.
  // SS(group | intercept) = 4 · 2.5² = 25; RSS of the group model = 4 · 1² = 4.
  const x = Matrix.fromColumns([
    [1, 1, 1, 1],
    [0, 0, 1, 1],
  ]);
  const y = [1, 3, 6, 8];

  it('is the between-group SS for a one-way layout', () => {
    const extra = extraSumOfSquares(x, y, [0], [1]);
    expect(extra.df).toBe(1);
    expect(extra.sumSq).toBeCloseTo(25, 12);
    expect(extra.rss).toBeCloseTo(4, 12);
    expect(extra.residualDf).toBe(2);
  });

  it('equals RSS(base) − RSS(base + tested)', () => {
    const small = leastSquares(x.selectColumns([0]), y);
    const big = leastSquares(x, y);
    expect(extraSumOfSquares(x, y, [0], [1]).sumSq).toBeCloseTo(small.rss - big.rss, 12);
  });

  it('counts only tested columns independent of the base', () => {
    const withCopy = Matrix.fromColumns([x.column(0), x.column(1), x.column(1)]);
    const extra = extraSumOfSquares(withCopy, y, [0, 1], [2]);
    expect(extra.df).toBe(0);
    expect(extra.sumSq).toBe(0);
  });
});

describe('invertUpperTriangular', () => {
  it('inverts a hand-checkable triangle', () => {
    // [2 1; 0 4]⁻¹ = [1/2 −1/8; 0 1/4]
    const inv = invertUpperTriangular(
      Matrix.fromRows([
        [2, 1],
        [0, 4],
      ]),
    );
    expect(inv.toRows()).toEqual([
      [0.5, -0.125],
      [0, 0.25],
    ]);
    expect(() =>
      invertUpperTriangular(
        Matrix.fromRows([
          [1, 1],
          [0, 0],
        ]),
      ),
    ).toThrow(RangeError);
  });
});

describe('waldSumOfSquares', () => {
  // Three groups of two: y = 1, 3 | 4, 6 | 10, 12, group means 2, 5, 11, grand mean 6.
  // Between-group SS = 2·(16 + 1 + 25) = 84, within = 6.
  const g = [0, 0, 1, 1, 2, 2];
  const y = [1, 3, 4, 6, 10, 12];
  const x = Matrix.fromColumns([g.map(() => 1), g.map((v) => (v === 1 ? 1 : 0)), g.map((v) => (v === 2 ? 1 : 0))]);
  const qr = new QrDecomposition(x);
  const b = qr.coefficients(y);

  it('equals the RSS increase from dropping the tested columns', () => {
    expect(waldSumOfSquares(qr, b, [1, 2])).toBeCloseTo(84, 10);
    // Dropping only the group-2 indicator merges groups 0 and 2: means (1,3,10,12) → 6.5, 5;
    // RSS = (5.5² + 3.5² + 3.5² + 5.5²) + 2 = 85 + 2, so the increase is 87 − 6 = 81.
    expect(waldSumOfSquares(qr, b, [2])).toBeCloseTo(81, 10);
  });

  it('with given columns, splits the increase without cancellation', () => {
    // Dropping {1, 2} costs 84 in total; dropping 2 alone costs 81, so column 1 given 2 adds 3.
    expect(waldSumOfSquares(qr, b, [1], { given: [2] })).toBeCloseTo(3, 10);
    const rInverse = invertUpperTriangular(qr.r());
    expect(waldSumOfSquares(qr, b, [1, 2], { rInverse })).toBeCloseTo(84, 10);
  });

  it('refuses rank-deficient fits', () => {
    const dup = new QrDecomposition(Matrix.fromColumns([x.column(0), x.column(1), x.column(1)]));
    expect(() => waldSumOfSquares(dup, [1, 2, null], [1])).toThrow(RangeError);
  });
});
