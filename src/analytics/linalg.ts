/**
 * Dense linear algebra for the statistics code: a small column-major matrix and least squares
 * through Householder QR with R's rank detection.
 *
 * Sized for linear models with up to a few thousand rows and a few hundred columns. Nothing here
 * is sparse-aware or blocked, and nothing does I/O.
 */

/** R's default tolerance for detecting linearly dependent columns (`lm`, `qr`). */
export const DEFAULT_RANK_TOLERANCE = 1e-7;

/** A dense real matrix stored column by column (the layout QR works on). */
export class Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Column-major: element (i, j) is `data[j * rows + i]`. */
  readonly data: Float64Array;

  constructor(rows: number, cols: number, data?: Float64Array) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new RangeError(`Matrix dimensions must be non-negative integers, got ${rows}×${cols}`);
    }
    if (data !== undefined && data.length !== rows * cols) {
      throw new RangeError(`Matrix data has ${data.length} entries, expected ${rows * cols}`);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float64Array(rows * cols);
  }

  /** Builds a matrix from an array of rows (all of the same length). */
  static fromRows(rows: readonly (readonly number[])[]): Matrix {
    const nrow = rows.length;
    const ncol = rows[0]?.length ?? 0;
    const m = new Matrix(nrow, ncol);
    rows.forEach((row, i) => {
      if (row.length !== ncol) {
        throw new RangeError(`Row ${i} has ${row.length} entries, expected ${ncol}`);
      }
      row.forEach((v, j) => m.set(i, j, v));
    });
    return m;
  }

  /** Builds a matrix from columns; `rows` is needed when there are no columns. */
  static fromColumns(columns: readonly ArrayLike<number>[], rows?: number): Matrix {
    const nrow = rows ?? columns[0]?.length ?? 0;
    const m = new Matrix(nrow, columns.length);
    columns.forEach((col, j) => {
      if (col.length !== nrow) {
        throw new RangeError(`Column ${j} has ${col.length} entries, expected ${nrow}`);
      }
      m.data.set(Array.from(col), j * nrow);
    });
    return m;
  }

  static identity(n: number): Matrix {
    const m = new Matrix(n, n);
    for (let i = 0; i < n; i++) m.set(i, i, 1);
    return m;
  }

  get(i: number, j: number): number {
    return this.data[j * this.rows + i]!;
  }

  set(i: number, j: number, value: number): void {
    this.data[j * this.rows + i] = value;
  }

  /** A copy of column j. */
  column(j: number): Float64Array {
    return this.data.slice(j * this.rows, (j + 1) * this.rows);
  }

  /** A new matrix made of the given columns, in the given order (repeats allowed). */
  selectColumns(indices: readonly number[]): Matrix {
    const m = new Matrix(this.rows, indices.length);
    indices.forEach((src, dst) => {
      if (!Number.isInteger(src) || src < 0 || src >= this.cols) {
        throw new RangeError(`Column index ${src} out of range 0..${this.cols - 1}`);
      }
      m.data.set(this.data.subarray(src * this.rows, (src + 1) * this.rows), dst * this.rows);
    });
    return m;
  }

  transpose(): Matrix {
    const t = new Matrix(this.cols, this.rows);
    for (let j = 0; j < this.cols; j++) {
      for (let i = 0; i < this.rows; i++) t.set(j, i, this.get(i, j));
    }
    return t;
  }

  multiply(other: Matrix): Matrix {
    if (this.cols !== other.rows) {
      throw new RangeError(`Cannot multiply ${this.rows}×${this.cols} by ${other.rows}×${other.cols}`);
    }
    const out = new Matrix(this.rows, other.cols);
    for (let j = 0; j < other.cols; j++) {
      for (let k = 0; k < this.cols; k++) {
        const b = other.get(k, j);
        if (b === 0) continue;
        const aOff = k * this.rows;
        const oOff = j * this.rows;
        for (let i = 0; i < this.rows; i++) out.data[oOff + i]! += this.data[aOff + i]! * b;
      }
    }
    return out;
  }

  multiplyVector(v: ArrayLike<number>): Float64Array {
    if (v.length !== this.cols) {
      throw new RangeError(`Vector has ${v.length} entries, expected ${this.cols}`);
    }
    const out = new Float64Array(this.rows);
    for (let j = 0; j < this.cols; j++) {
      const b = v[j]!;
      if (b === 0) continue;
      const off = j * this.rows;
      for (let i = 0; i < this.rows; i++) out[i]! += this.data[off + i]! * b;
    }
    return out;
  }

  /** Rows as plain arrays, for tests and debugging. */
  toRows(): number[][] {
    return Array.from({ length: this.rows }, (_, i) => Array.from({ length: this.cols }, (_, j) => this.get(i, j)));
  }
}

/** Euclidean norm, scaled so that squaring large or tiny entries cannot overflow or underflow. */
export function norm2(v: ArrayLike<number>, from = 0, to = v.length): number {
  let scale = 0;
  let ssq = 1;
  for (let i = from; i < to; i++) {
    const x = Math.abs(v[i]!);
    if (x === 0) continue;
    if (scale < x) {
      ssq = 1 + ssq * (scale / x) ** 2;
      scale = x;
    } else {
      ssq += (x / scale) ** 2;
    }
  }
  return scale * Math.sqrt(ssq);
}

/**
 * Householder QR decomposition of an n×p matrix with R's "limited column pivoting" (LINPACK
 * `dqrdc2`, used by `lm`): columns are processed left to right, and a column whose norm, after
 * removing its projection on the columns already accepted, falls below `tol` times its original
 * norm is declared linearly dependent and moved to the end. So the accepted columns are always the
 * leftmost independent ones, and a column's fate depends only on the columns before it. This is
 * what makes sequential (Type I) sums of squares come out per term exactly as in R.
 */
export class QrDecomposition {
  readonly rows: number;
  readonly cols: number;
  /** Number of accepted (linearly independent) columns. */
  readonly rank: number;
  /**
   * Original column indices in pivoted order: the first `rank` are the accepted columns in their
   * original relative order, then the aliased ones.
   */
  readonly pivot: readonly number[];
  /** `aliased[j]` is true when original column j was dropped as linearly dependent. */
  readonly aliased: readonly boolean[];
  /** Householder vectors below the diagonal, R on and above it; pivoted column order. */
  private readonly qr: Matrix;
  /** Diagonal of R for the accepted columns (kept apart so `qr` can hold the reflectors). */
  private readonly rDiag: Float64Array;
  /** Leading entries of the Householder vectors. */
  private readonly vHead: Float64Array;
  /** Scale of each reflector: H = I − v vᵀ / beta (beta = 0 means identity). */
  private readonly beta: Float64Array;

  constructor(x: Matrix, tol: number = DEFAULT_RANK_TOLERANCE) {
    const n = x.rows;
    const p = x.cols;
    this.rows = n;
    this.cols = p;
    const a = new Matrix(n, p, x.data.slice());
    const pivot = Array.from({ length: p }, (_, j) => j);
    // Zero columns get reference norm 1 so they are always aliased (as in dqrdc2).
    const refNorm = pivot.map((j) => norm2(a.data, j * n, (j + 1) * n) || 1);
    const rDiag = new Float64Array(p);
    const vHead = new Float64Array(p);
    const beta = new Float64Array(p);

    let end = p; // columns at index >= end are the aliased ones
    const steps = Math.min(n, p);
    let l = 0;
    for (; l < steps && l < end; l++) {
      // Move dependent columns to the end until column l is acceptable or none remain.
      for (;;) {
        if (l >= end) break;
        const residualNorm = norm2(a.data, l * n + l, (l + 1) * n);
        if (residualNorm >= refNorm[l]! * tol) break;
        rotateColumnToEnd(a, pivot, refNorm, l, end);
        end--;
      }
      if (l >= end) break;
      const off = l * n;
      const alpha = norm2(a.data, off + l, off + n);
      // Choose the sign that avoids cancellation in v = x − alpha·e1.
      const x0 = a.data[off + l]!;
      const diag = x0 > 0 ? -alpha : alpha;
      const v0 = x0 - diag;
      rDiag[l] = diag;
      vHead[l] = v0;
      // With v = (v0, x[l+1..]) and vᵀv = -2·diag·v0, H = I − v vᵀ / (−diag·v0).
      const b = -diag * v0;
      beta[l] = b;
      if (b !== 0) {
        for (let j = l + 1; j < p; j++) {
          const cOff = j * n;
          let s = v0 * a.data[cOff + l]!;
          for (let i = l + 1; i < n; i++) s += a.data[off + i]! * a.data[cOff + i]!;
          const f = s / b;
          a.data[cOff + l]! -= f * v0;
          for (let i = l + 1; i < n; i++) a.data[cOff + i]! -= f * a.data[off + i]!;
        }
      }
    }
    this.rank = Math.min(l, end);
    this.pivot = pivot;
    const aliased = new Array<boolean>(p).fill(false);
    for (let k = this.rank; k < p; k++) aliased[pivot[k]!] = true;
    this.aliased = aliased;
    this.qr = a;
    this.rDiag = rDiag;
    this.vHead = vHead;
    this.beta = beta;
  }

  /**
   * Qᵀy ("effects" in R's `lm`). The first `rank` entries belong to the accepted columns in pivot
   * order: entry k squared is the sum of squares that column adds after the columns before it.
   * The remaining entries square-sum to the residual sum of squares.
   */
  qty(y: ArrayLike<number>): Float64Array {
    const n = this.rows;
    if (y.length !== n) throw new RangeError(`Response has ${y.length} entries, expected ${n}`);
    const out = Float64Array.from(y as ArrayLike<number>);
    for (let k = 0; k < this.rank; k++) {
      const b = this.beta[k]!;
      if (b === 0) continue;
      const off = k * n;
      const v0 = this.vHead[k]!;
      let s = v0 * out[k]!;
      for (let i = k + 1; i < n; i++) s += this.qr.data[off + i]! * out[i]!;
      const f = s / b;
      out[k]! -= f * v0;
      for (let i = k + 1; i < n; i++) out[i]! -= f * this.qr.data[off + i]!;
    }
    return out;
  }

  /**
   * Coefficients of the least-squares fit of y, indexed by original column; aliased columns get
   * `null` (R reports NA).
   */
  coefficients(y: ArrayLike<number>): (number | null)[] {
    const effects = this.qty(y);
    const r = this.rank;
    const n = this.rows;
    const b = new Float64Array(r);
    for (let k = r - 1; k >= 0; k--) {
      let s = effects[k]!;
      for (let j = k + 1; j < r; j++) s -= this.qr.data[j * n + k]! * b[j]!;
      b[k] = s / this.rDiag[k]!;
    }
    const out = new Array<number | null>(this.cols).fill(null);
    for (let k = 0; k < r; k++) out[this.pivot[k]!] = b[k]!;
    return out;
  }

  /** The upper-triangular R (rank × rank) for the accepted columns, in pivot order. */
  r(): Matrix {
    const r = this.rank;
    const out = new Matrix(r, r);
    for (let j = 0; j < r; j++) {
      out.set(j, j, this.rDiag[j]!);
      for (let i = 0; i < j; i++) out.set(i, j, this.qr.get(i, j));
    }
    return out;
  }
}

/** Moves column l to position end − 1, shifting the columns in between one to the left. */
function rotateColumnToEnd(a: Matrix, pivot: number[], refNorm: number[], l: number, end: number): void {
  const n = a.rows;
  const saved = a.data.slice(l * n, (l + 1) * n);
  a.data.copyWithin(l * n, (l + 1) * n, end * n);
  a.data.set(saved, (end - 1) * n);
  const pv = pivot.splice(l, 1)[0]!;
  pivot.splice(end - 1, 0, pv);
  const rn = refNorm.splice(l, 1)[0]!;
  refNorm.splice(end - 1, 0, rn);
}

export interface LeastSquaresFit {
  /** Per original column; `null` for columns dropped as linearly dependent. */
  coefficients: (number | null)[];
  rank: number;
  /** Residual sum of squares. */
  rss: number;
  /** n − rank. */
  residualDf: number;
  /** Qᵀy, see {@link QrDecomposition.qty}. */
  effects: Float64Array;
  qr: QrDecomposition;
}

/**
 * Ordinary least squares of y on the columns of x, like R's `lm.fit` (no intercept is added).
 * Rank-deficient designs are fitted on their leftmost independent columns.
 */
export function leastSquares(x: Matrix, y: ArrayLike<number>, tol: number = DEFAULT_RANK_TOLERANCE): LeastSquaresFit {
  const qr = new QrDecomposition(x, tol);
  const effects = qr.qty(y);
  let rss = 0;
  for (let i = qr.rank; i < effects.length; i++) rss += effects[i]! ** 2;
  return {
    coefficients: qr.coefficients(y),
    rank: qr.rank,
    rss,
    residualDf: x.rows - qr.rank,
    effects,
    qr,
  };
}

export interface ExtraSumOfSquares {
  /** RSS(base) − RSS(base + tested), computed without subtracting two residual sums. */
  sumSq: number;
  /** Number of tested columns that are independent of the base columns and of each other. */
  df: number;
  /** Residual sum of squares and df of the larger model (base + tested). */
  rss: number;
  residualDf: number;
}

/**
 * Sum of squares explained by the `tested` columns of x after the `base` columns: the F-test
 * numerator for comparing the nested models `base` and `base + tested`. Equal to the Wald
 * statistic for "tested coefficients = 0" in the larger model when it has full rank.
 *
 * It is read off the QR effects of [base | tested], so it has no cancellation even when the
 * residual sums are large next to the difference.
 */
export function extraSumOfSquares(
  x: Matrix,
  y: ArrayLike<number>,
  base: readonly number[],
  tested: readonly number[],
  tol: number = DEFAULT_RANK_TOLERANCE,
): ExtraSumOfSquares {
  const order = [...base, ...tested];
  const fit = leastSquares(x.selectColumns(order), y, tol);
  let sumSq = 0;
  let df = 0;
  for (let k = 0; k < fit.rank; k++) {
    if (fit.qr.pivot[k]! >= base.length) {
      sumSq += fit.effects[k]! ** 2;
      df++;
    }
  }
  return { sumSq, df, rss: fit.rss, residualDf: fit.residualDf };
}

/** Inverse of an upper-triangular matrix by back substitution (upper triangular again). */
export function invertUpperTriangular(r: Matrix): Matrix {
  const p = r.rows;
  if (r.cols !== p) throw new RangeError(`invertUpperTriangular needs a square matrix, got ${r.rows}×${r.cols}`);
  const inv = new Matrix(p, p);
  for (let j = 0; j < p; j++) {
    const d = r.get(j, j);
    if (d === 0) throw new RangeError('invertUpperTriangular: singular matrix (zero on the diagonal)');
    inv.set(j, j, 1 / d);
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += r.get(i, k) * inv.get(k, j);
      inv.set(i, j, -s / r.get(i, i));
    }
  }
  return inv;
}

export interface WaldOptions {
  /** R⁻¹ of the fit's QR; pass it when testing many column sets so it is computed once. */
  rInverse?: Matrix;
  /**
   * Columns dropped along with `tested` whose own share is not reported: the result is then
   * RSS(without tested ∪ given) − RSS(without given), i.e. `tested` adjusted for every column
   * except `given`.
   */
  given?: readonly number[];
}

/**
 * Wald sum of squares for H0: β_T = 0 in a full-rank least-squares fit, b_Tᵀ [(XᵀX)⁻¹]_TT⁻¹ b_T,
 * which equals RSS(model without columns T) − RSS(full model). This is what
 * `car::Anova(type = 3)` reports for a term; with `given` it also yields Type II comparisons of
 * nested submodels from the one full fit.
 *
 * With (XᵀX)⁻¹ = R⁻¹R⁻ᵀ, the middle matrix is G Gᵀ for G = rows [given, T] of R⁻¹. A QR of Gᵀ
 * turns the quadratic form into a triangular solve whose solution splits into the `given` part
 * and the `tested` part, so the conditional sum of squares is read off without subtracting two
 * sums (no cancellation). Cost: p·q² for q tested + given columns.
 */
export function waldSumOfSquares(
  qr: QrDecomposition,
  coefficients: readonly (number | null)[],
  tested: readonly number[],
  options: WaldOptions = {},
): number {
  if (qr.rank !== qr.cols) {
    throw new RangeError('waldSumOfSquares needs a full-rank fit (aliased coefficients have no Wald test)');
  }
  const rInverse = options.rInverse ?? invertUpperTriangular(qr.r());
  const given = options.given ?? [];
  const order = [...given, ...tested];
  const p = qr.cols;
  const q = order.length;
  // Full rank means no pivoting: R's columns are the original columns.
  const gt = new Matrix(p, q);
  order.forEach((row, c) => {
    for (let k = row; k < p; k++) gt.set(k, c, rInverse.get(row, k));
  });
  // Rows of a nonsingular R⁻¹ are independent, so tolerance 0 keeps every column in order.
  const inner = new QrDecomposition(gt, 0);
  const r1 = inner.r();
  const z = new Float64Array(q);
  let ss = 0;
  for (let i = 0; i < q; i++) {
    const b = coefficients[order[i]!];
    if (b === null || b === undefined) throw new RangeError('waldSumOfSquares: missing coefficient');
    let s = b;
    for (let k = 0; k < i; k++) s -= r1.get(k, i) * z[k]!;
    z[i] = s / r1.get(i, i);
    if (i >= given.length) ss += z[i]! ** 2;
  }
  return ss;
}
