import fCdf from '@stdlib/stats-base-dists-f-cdf';

import { UserInputError } from '../errors';
import type { SumOfSquares } from '../domain';
import { Matrix, QrDecomposition, extraSumOfSquares, invertUpperTriangular, leastSquares, waldSumOfSquares } from './linalg';
import { DEFAULT_CONFIDENCE, mean, summarise } from './stats';

/**
 * Analysis of variance for crossed factors (README, effect decomposition). Pure functions, no I/O.
 *
 * Reproduces R:
 * - TYPE_I   = `anova(lm(y ~ A * B ...))`: sequential sums of squares in term order, read off the
 *   QR effects of the treatment-coded model matrix. Aliased coefficients (empty cells, confounded
 *   factors) are dropped as in R; a term left with no estimable df is left out of the table.
 * - TYPE_II  = `car::Anova(type = 2)`: each term adjusted for every term that does not contain it,
 *   i.e. SS(T | terms not containing T), tested against the full model's residual.
 * - TYPE_III = `car::Anova(type = 3)` with `contr.sum`: each term's coefficients tested last
 *   (adjusted for all other columns, intercept included). The intercept row car prints is omitted.
 *
 * Type II and III need a full-rank model: empty cells in an interaction model, or confounded
 * factors, are a {@link UserInputError} there.
 */

export interface AnovaFactor {
  name: string;
  /** One level per observation, aligned with `y`. */
  values: string[];
}

export interface AnovaInput {
  y: number[];
  /** Factor order is the term order (it matters for TYPE_I only). */
  factors: AnovaFactor[];
  /** Include all interactions of every order (`A * B * C`), else main effects only (`A + B + C`). */
  interactions: boolean;
  type: SumOfSquares;
  /** Confidence level of the cells' and marginal means' t intervals (default 0.95). */
  confidence?: number;
}

export interface AnovaTerm {
  /** Factor names joined with ':' in factor order, e.g. `ALGORITHM:DATASET`. */
  term: string;
  df: number;
  sumSq: number;
  meanSq: number;
  /** Null when there are no residual df (see `AnovaResult.note`). */
  fValue: number | null;
  pValue: number | null;
  /** SS / SS_total; null when SS_total = 0. */
  etaSq: number | null;
  /** SS / (SS + SS_residual); null when both are 0. */
  partialEtaSq: number | null;
  /** (SS − df·MS_residual) / (SS_total + MS_residual); null without residual df. */
  omegaSq: number | null;
}

export interface AnovaResidual {
  df: number;
  sumSq: number;
  /** Null when df = 0. */
  meanSq: number | null;
}

/**
 * The spread of a group of observations: sample sd, standard error and the t interval
 * mean ± t_{(1+γ)/2, n−1}·sd/√n (README Metrics 3 applied to the group's values; sd and se null
 * and the interval the mean itself when n < 2).
 */
export interface Spread {
  sd: number | null;
  se: number | null;
  ciLow: number;
  ciHigh: number;
}

export interface AnovaCell extends Spread {
  /** Factor name → level. */
  levels: Record<string, string>;
  count: number;
  mean: number;
}

export interface AnovaMarginalMean extends Spread {
  factor: string;
  level: string;
  count: number;
  mean: number;
}

/** The spread of `values` around `m` (their mean), at `confidence`. */
function spreadOf(values: readonly number[], m: number, confidence: number): Spread {
  const s = summarise(values, confidence);
  return { sd: s.sd, se: s.se, ciLow: m - s.half, ciHigh: m + s.half };
}

export interface AnovaResult {
  type: SumOfSquares;
  n: number;
  /** Factors with their levels in the order used (sorted, like R's `factor()`). */
  factors: { name: string; levels: string[] }[];
  terms: AnovaTerm[];
  residual: AnovaResidual;
  /** Σ(y − ȳ)². */
  totalSumSq: number;
  /** Combinations of all factors' levels that have observations, in level order (first factor slowest). */
  cells: AnovaCell[];
  /** Mean of y per level of each factor, factor by factor in input order. */
  marginalMeans: AnovaMarginalMean[];
  /** Why some numbers are missing or reduced (no residual df, aliased terms); null when nothing to say. */
  note: string | null;
}

/**
 * Largest number of model coefficients accepted. QR costs n·p² and Type II/III repeat part of it
 * per term, so bigger models (typically many factors with all their interactions) would stall a
 * request; the error suggests dropping interactions instead.
 */
export const MAX_MODEL_COEFFICIENTS = 500;

/** How many empty cells an error message lists before summarising the rest. */
const MAX_LISTED_EMPTY_CELLS = 10;

/**
 * Upper tail P(F > f) of the F(df1, df2) distribution, like R's `pf(f, df1, df2, lower.tail =
 * FALSE)`. Computed as the lower tail of F(df2, df1) at 1/f (the same incomplete beta value,
 * read from the side that does not lose tiny p-values to 1 − cdf cancellation).
 */
export function fUpperTail(f: number, df1: number, df2: number): number {
  if (Number.isNaN(f)) return Number.NaN;
  if (f <= 0) return 1;
  return fCdf(1 / f, df2, df1);
}

interface FactorData {
  name: string;
  levels: string[];
  /** Level index per observation. */
  codes: Int32Array;
}

interface ModelTerm {
  name: string;
  /** Indices into the factor list, ascending. */
  factors: number[];
}

type Coding = 'treatment' | 'sum';

interface ModelMatrix {
  x: Matrix;
  /** Term index per column; −1 for the intercept. */
  assign: number[];
}

/**
 * ANOVA table for y on crossed factors, matching R to floating-point accuracy (see the module
 * doc for which R call each type reproduces).
 *
 * Throws {@link UserInputError} for selections that cannot be analysed (no observations, a factor
 * with one level, empty cells or confounding under TYPE_II/III, too large a model), with a
 * message saying what to change. Throws RangeError for caller bugs (misaligned or non-finite
 * input), which are not the user's to fix.
 */
export function anova(input: AnovaInput): AnovaResult {
  const { y, type } = input;
  const confidence = input.confidence ?? DEFAULT_CONFIDENCE;
  const n = y.length;
  validateShape(input);
  if (n === 0) {
    throw new UserInputError(
      'The effect decomposition has no observations: no runs matched the selection. Widen runFilter, topics or stageKind.',
    );
  }
  const factors = input.factors.map((f) => encodeFactor(f));
  for (const f of factors) {
    if (f.levels.length < 2) {
      throw new UserInputError(
        `Factor ${f.name} has only one level (${f.levels[0] ?? 'none'}) among the ${n} selected observations, so it has no effect to measure. ` +
          `Remove ${f.name} from factors, or widen the selection so that it varies.`,
      );
    }
  }
  const terms = buildTerms(factors, input.interactions);
  const cells = cellSummaries(y, factors);
  const notes: string[] = [];

  const emptyCells = input.interactions && factors.length > 1 ? findEmptyCells(factors, cells.length) : null;
  if (emptyCells && type !== 'TYPE_I') {
    const listed = emptyCells.listed.map((c) => c.map((lv, i) => `${factors[i]!.name}=${lv}`).join(' × '));
    const more = emptyCells.count > listed.length ? ` and ${emptyCells.count - listed.length} more` : '';
    throw new UserInputError(
      `${type} sums of squares need observations in every combination of factor levels when interactions are included, ` +
        `but ${emptyCells.count} ${emptyCells.count === 1 ? 'cell is' : 'cells are'} empty: ${listed.join('; ')}${more}. ` +
        'Set interactions: false, or use sumOfSquares: TYPE_I (which tests only the estimable part of each interaction).',
      undefined,
      { emptyCells: listed },
    );
  }

  const data = collapseToCells(y, factors, cells);
  const computed = type === 'TYPE_I' ? typeI(data, terms) : typeIIorIII(data, terms, type);
  const { rss, residualDf } = computed;

  if (emptyCells) {
    notes.push(
      `${emptyCells.count} ${emptyCells.count === 1 ? 'combination' : 'combinations'} of factor levels ${emptyCells.count === 1 ? 'has' : 'have'} no observations, ` +
        'so interaction terms are tested on their estimable degrees of freedom only (as R does by dropping aliased coefficients).',
    );
  }
  if (computed.reducedTerms.length > 0) {
    notes.push(
      `Tested on fewer degrees of freedom than their levels imply, because some of their coefficients are aliased with earlier terms (R drops them too): ${computed.reducedTerms.join(', ')}.`,
    );
  }
  if (computed.droppedTerms.length > 0) {
    notes.push(
      `Left out because they cannot be estimated separately from earlier terms (no degrees of freedom left): ${computed.droppedTerms.join(', ')}.`,
    );
  }

  let totalSumSq = 0;
  const grand = mean(y);
  for (const v of y) totalSumSq += (v - grand) ** 2;

  const msRes = residualDf > 0 ? rss / residualDf : null;
  if (msRes === null) {
    notes.push(
      `No residual degrees of freedom: the model has as many estimable coefficients as there are observations (n = ${n}), ` +
        'so F tests, p-values and omega² cannot be computed. Add replicate runs, remove a factor, or set interactions: false.',
    );
  } else if (msRes === 0) {
    notes.push('The model fits every observation exactly (residual sum of squares 0), so F tests and p-values are undefined.');
  }

  const rows: AnovaTerm[] = computed.terms.map(({ term, df, sumSq }) => {
    const meanSq = sumSq / df;
    const testable = msRes !== null && msRes > 0;
    const fValue = testable ? meanSq / msRes : null;
    return {
      term,
      df,
      sumSq,
      meanSq,
      fValue,
      pValue: fValue === null ? null : fUpperTail(fValue, df, residualDf),
      etaSq: totalSumSq > 0 ? sumSq / totalSumSq : null,
      partialEtaSq: sumSq + rss > 0 ? sumSq / (sumSq + rss) : null,
      omegaSq: msRes !== null && totalSumSq + msRes > 0 ? (sumSq - df * msRes) / (totalSumSq + msRes) : null,
    };
  });

  return {
    type,
    n,
    factors: factors.map((f) => ({ name: f.name, levels: [...f.levels] })),
    terms: rows,
    residual: { df: residualDf, sumSq: rss, meanSq: msRes },
    totalSumSq,
    cells: cells.map((c) => ({
      levels: Object.fromEntries(factors.map((f, i) => [f.name, f.levels[c.codes[i]!]!])),
      count: c.count,
      mean: c.sum / c.count,
      ...spreadOf(c.values, c.sum / c.count, confidence),
    })),
    marginalMeans: marginalMeans(y, factors, confidence),
    note: notes.length > 0 ? notes.join(' ') : null,
  };
}

interface ComputedTable {
  terms: { term: string; df: number; sumSq: number }[];
  rss: number;
  residualDf: number;
  /** Terms with no estimable df (left out of the table, like R). */
  droppedTerms: string[];
  /** Terms with fewer estimable df than their contrasts have, as "TERM (d of D df)". */
  reducedTerms: string[];
}

/** Sequential SS: squared QR effects of each term's accepted columns, exactly R's `anova.lm`. */
function typeI(data: CellData, terms: ModelTerm[]): ComputedTable {
  const { x, assign } = modelMatrix(data, terms, 'treatment');
  const fit = leastSquares(x, data.y);
  const ss = new Array<number>(terms.length).fill(0);
  const df = new Array<number>(terms.length).fill(0);
  for (let k = 0; k < fit.rank; k++) {
    const t = assign[fit.qr.pivot[k]!]!;
    if (t < 0) continue;
    ss[t]! += fit.effects[k]! ** 2;
    df[t]!++;
  }
  const out: ComputedTable = {
    terms: [],
    rss: data.withinSs + fit.rss,
    residualDf: data.n - fit.rank,
    droppedTerms: [],
    reducedTerms: [],
  };
  terms.forEach((term, t) => {
    const d = df[t]!;
    if (d === 0) {
      out.droppedTerms.push(term.name);
      return;
    }
    out.terms.push({ term: term.name, df: d, sumSq: ss[t]! });
    const nominal = term.factors.reduce((w, fi) => w * (data.factors[fi]!.levels.length - 1), 1);
    if (d < nominal) out.reducedTerms.push(`${term.name} (${d} of ${nominal} df)`);
  });
  return out;
}

/**
 * Type II and III from one QR of the sum-coded model matrix.
 *
 * Type III is a Wald test of each term's coefficients in that fit. Type II for T compares
 * "terms not containing T" with that plus T; from the one fit this is either an extra sum of squares
 * on (R, Qᵀy) (same numbers as on (X, y), Q being orthogonal) with the smaller model's columns, or
 * a Wald test of T given its relatives (the terms containing T) are dropped too. Both are exact; the
 * one with fewer columns is used, which keeps large interaction models fast.
 */
function typeIIorIII(data: CellData, terms: ModelTerm[], type: 'TYPE_II' | 'TYPE_III'): ComputedTable {
  const { x, assign } = modelMatrix(data, terms, 'sum');
  const qr = new QrDecomposition(x);
  if (qr.rank < x.cols) {
    // Without empty cells (checked before) this is confounding among factors.
    const aliasedTerms = [...new Set(assign.filter((_, j) => qr.aliased[j]).map((t) => (t < 0 ? '(Intercept)' : terms[t]!.name)))];
    throw new UserInputError(
      `${type} sums of squares need every term to be estimable, but ${aliasedTerms.join(', ')} cannot be separated from the other factors ` +
        'in this selection (the factors are confounded: some of their level combinations never vary independently). ' +
        'Remove one of the confounded factors, or use sumOfSquares: TYPE_I.',
    );
  }
  const effects = qr.qty(data.y);
  let rss = data.withinSs;
  for (let i = qr.rank; i < effects.length; i++) rss += effects[i]! ** 2;
  const out: ComputedTable = { terms: [], rss, residualDf: data.n - qr.rank, droppedTerms: [], reducedTerms: [] };
  // Full rank, so pivot is the identity and R's columns are X's columns.
  const r = qr.r();
  const columnsOf = (t: number): number[] => assign.flatMap((a, j) => (a === t ? [j] : []));

  const coefficients = qr.coefficients(data.y);
  const rInverse = invertUpperTriangular(r);
  const reducedY = effects.subarray(0, qr.rank);
  terms.forEach((term, t) => {
    const tested = columnsOf(t);
    let sumSq: number;
    if (type === 'TYPE_III') {
      sumSq = waldSumOfSquares(qr, coefficients, tested, { rInverse });
    } else {
      const relatives = assign.flatMap((a, j) => (a >= 0 && a !== t && contains(terms[a]!, term) ? [j] : []));
      const base = assign.flatMap((a, j) => (a < 0 || (a !== t && !contains(terms[a]!, term)) ? [j] : []));
      sumSq =
        relatives.length <= base.length
          ? waldSumOfSquares(qr, coefficients, tested, { rInverse, given: relatives })
          : extraSumOfSquares(r, reducedY, base, tested).sumSq;
    }
    out.terms.push({ term: term.name, df: tested.length, sumSq });
  });
  return out;
}

/** True when `outer`'s factors include all of `inner`'s (a term contains itself). */
function contains(outer: ModelTerm, inner: ModelTerm): boolean {
  return inner.factors.every((f) => outer.factors.includes(f));
}

function validateShape(input: AnovaInput): void {
  const n = input.y.length;
  input.y.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`anova: y[${i}] is not a finite number (${v})`);
  });
  if (input.factors.length === 0) {
    throw new UserInputError('The effect decomposition needs at least one factor; choose factors such as ALGORITHM and DATASET.');
  }
  const seen = new Set<string>();
  for (const f of input.factors) {
    if (seen.has(f.name)) throw new UserInputError(`Factor ${f.name} is listed twice; list each factor once.`);
    seen.add(f.name);
    if (f.values.length !== n) {
      throw new RangeError(`anova: factor ${f.name} has ${f.values.length} values for ${n} observations`);
    }
  }
}

function encodeFactor(f: AnovaFactor): FactorData {
  // R's factor() sorts levels; plain code-unit order is what the conformance data needs, and any
  // order gives the same sums of squares.
  const levels = [...new Set(f.values)].sort();
  const index = new Map(levels.map((lv, i) => [lv, i]));
  return { name: f.name, levels, codes: Int32Array.from(f.values, (v) => index.get(v)!) };
}

/**
 * Main effects in factor order, then (with interactions) every interaction, by order and within an
 * order like R's `terms()`: for factors A B C D the two-way terms are A:B A:C B:C A:D B:D C:D.
 * That is ascending bitmask with the first factor as the lowest bit.
 */
function buildTerms(factors: FactorData[], interactions: boolean): ModelTerm[] {
  const k = factors.length;
  const masks: number[] = [];
  if (interactions) {
    // Every factor has at least two levels, so the full crossing has at least 2^k coefficients.
    if (2 ** k > MAX_MODEL_COEFFICIENTS) throw tooManyCoefficients();
    for (let m = 1; m < 1 << k; m++) masks.push(m);
  } else {
    for (let i = 0; i < k; i++) masks.push(1 << i);
  }
  const degree = (m: number): number => factors.reduce((d, _, i) => d + ((m >> i) & 1), 0);
  masks.sort((a, b) => degree(a) - degree(b) || a - b);
  return masks.map((m) => {
    const idx = factors.map((_, i) => i).filter((i) => (m >> i) & 1);
    return { name: idx.map((i) => factors[i]!.name).join(':'), factors: idx };
  });
}

/** R's `contr.treatment` (first level is the baseline) or `contr.sum` (last level is −1) columns. */
function contrastColumns(f: FactorData, coding: Coding): Float64Array[] {
  const k = f.levels.length;
  const cols: Float64Array[] = [];
  if (coding === 'treatment') {
    for (let lv = 1; lv < k; lv++) cols.push(Float64Array.from(f.codes, (c) => (c === lv ? 1 : 0)));
  } else {
    for (let lv = 0; lv < k - 1; lv++) {
      cols.push(Float64Array.from(f.codes, (c) => (c === lv ? 1 : c === k - 1 ? -1 : 0)));
    }
  }
  return cols;
}

/**
 * Intercept plus each term's columns: products of its factors' contrast columns, first factor
 * varying fastest as in R's `model.matrix`, one row per cell scaled by √count (see
 * {@link collapseToCells}). Under treatment coding, all-zero columns (interactions of levels never
 * seen together) are skipped: R's QR always aliases them, so they change nothing.
 */
function modelMatrix(data: CellData, terms: ModelTerm[], coding: Coding): ModelMatrix {
  const { factors, rowWeights } = data;
  const n = rowWeights.length;
  const contrasts = factors.map((f) => contrastColumns(f, coding));
  const columns: Float64Array[] = [Float64Array.from(rowWeights)];
  const assign: number[] = [-1];
  terms.forEach((term, t) => {
    if (coding === 'sum') {
      const width = term.factors.reduce((w, fi) => w * (factors[fi]!.levels.length - 1), 1);
      if (columns.length + width > MAX_MODEL_COEFFICIENTS) throw tooManyCoefficients();
    }
    let block: Float64Array[] = [Float64Array.from(rowWeights)];
    for (const fi of term.factors) {
      const next: Float64Array[] = [];
      for (const c of contrasts[fi]!) {
        for (const b of block) {
          const col = b.map((v, i) => v * c[i]!);
          // A zero column stays zero in every further product, so drop it as soon as it appears.
          if (coding === 'treatment' && col.every((v) => v === 0)) continue;
          next.push(col);
        }
        if (columns.length + next.length > MAX_MODEL_COEFFICIENTS) throw tooManyCoefficients();
      }
      block = next;
    }
    for (const col of block) {
      columns.push(col);
      assign.push(t);
    }
  });
  return { x: Matrix.fromColumns(columns, n), assign };
}

/**
 * The regression problem reduced to one row per observed cell. Every model column is constant
 * within a cell of the full crossing, so with X = Z·X_c (Z the n × cells indicator matrix)
 * ‖y − Xb‖² = Σ within-cell SS + ‖W^½(ȳ_c − X_c b)‖², W = diag(counts). Rows scaled by √count give
 * the same XᵀX (hence the same column norms, rank decisions, coefficients and effects) as the full
 * data, while QR runs on #cells rows instead of n.
 */
interface CellData {
  /** Factors with one code per cell row. */
  factors: FactorData[];
  /** √count per cell row. */
  rowWeights: Float64Array;
  /** √count · cell mean per cell row. */
  y: Float64Array;
  /** Σ over cells of Σ(y − cell mean)²: the part of every model's RSS no model can explain. */
  withinSs: number;
  n: number;
}

function collapseToCells(y: readonly number[], factors: FactorData[], cells: CellAccumulator[]): CellData {
  const key = (codes: ArrayLike<number>): string => Array.from(codes).join(',');
  const index = new Map(cells.map((c, i) => [key(c.codes), i]));
  const means = cells.map((c) => c.sum / c.count);
  let withinSs = 0;
  y.forEach((v, i) => {
    const c = index.get(key(factors.map((f) => f.codes[i]!)))!;
    withinSs += (v - means[c]!) ** 2;
  });
  const rowWeights = Float64Array.from(cells, (c) => Math.sqrt(c.count));
  return {
    factors: factors.map((f, fi) => ({ ...f, codes: Int32Array.from(cells, (c) => c.codes[fi]!) })),
    rowWeights,
    y: Float64Array.from(cells, (_c, i) => rowWeights[i]! * means[i]!),
    withinSs,
    n: y.length,
  };
}

function tooManyCoefficients(): UserInputError {
  return new UserInputError(
    `The model has more than ${MAX_MODEL_COEFFICIENTS} coefficients (too many factor levels crossed with each other). ` +
      'Set interactions: false, or use fewer factors.',
  );
}

interface CellAccumulator {
  codes: number[];
  count: number;
  sum: number;
  values: number[];
}

/** Observed cells of the full crossing, sorted by level index with the first factor slowest. */
function cellSummaries(y: readonly number[], factors: FactorData[]): CellAccumulator[] {
  const byKey = new Map<string, CellAccumulator>();
  y.forEach((v, i) => {
    const codes = factors.map((f) => f.codes[i]!);
    const key = codes.join(',');
    let cell = byKey.get(key);
    if (!cell) {
      cell = { codes, count: 0, sum: 0, values: [] };
      byKey.set(key, cell);
    }
    cell.count++;
    cell.sum += v;
    cell.values.push(v);
  });
  return [...byKey.values()].sort((a, b) => {
    for (let i = 0; i < a.codes.length; i++) {
      const d = a.codes[i]! - b.codes[i]!;
      if (d !== 0) return d;
    }
    return 0;
  });
}

/**
 * Lists the first few combinations of levels with no observations (in level order) and counts all
 * of them. Stops scanning once enough are listed, so huge crossings stay cheap: at most
 * `observed + MAX_LISTED_EMPTY_CELLS` combinations are visited.
 */
function findEmptyCells(factors: FactorData[], observedCells: number): { count: number; listed: string[][] } | null {
  const total = factors.reduce((p, f) => p * f.levels.length, 1);
  if (total === observedCells) return null;
  const observed = new Set<string>();
  const n = factors[0]!.codes.length;
  for (let i = 0; i < n; i++) observed.add(factors.map((f) => f.codes[i]!).join(','));
  const listed: string[][] = [];
  const codes = factors.map(() => 0);
  for (let visited = 0; visited < total && listed.length < MAX_LISTED_EMPTY_CELLS; visited++) {
    if (!observed.has(codes.join(','))) listed.push(codes.map((c, i) => factors[i]!.levels[c]!));
    // Odometer increment, last factor fastest.
    for (let i = codes.length - 1; i >= 0; i--) {
      codes[i]!++;
      if (codes[i]! < factors[i]!.levels.length) break;
      codes[i] = 0;
    }
  }
  return { count: total - observedCells, listed };
}

function marginalMeans(y: readonly number[], factors: FactorData[], confidence: number): AnovaMarginalMean[] {
  const out: AnovaMarginalMean[] = [];
  for (const f of factors) {
    const values: number[][] = f.levels.map(() => []);
    y.forEach((v, i) => values[f.codes[i]!]!.push(v));
    f.levels.forEach((level, c) => {
      const vs = values[c]!;
      const m = vs.reduce((a, b) => a + b, 0) / vs.length;
      out.push({ factor: f.name, level, count: vs.length, mean: m, ...spreadOf(vs, m, confidence) });
    });
  }
  return out;
}
