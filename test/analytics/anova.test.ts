import fCdf from '@stdlib/stats-base-dists-f-cdf';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { MAX_MODEL_COEFFICIENTS, anova, fUpperTail, type AnovaInput, type AnovaResult } from '../../src/analytics/anova';
import type { SumOfSquares } from '../../src/domain';
import { UserInputError } from '../../src/errors';

const EXPECTED = join(__dirname, '..', 'fixtures', 'conformance', 'expected');
const STANCES = ['support', 'neutral', 'oppose'] as const;
const OUTCOMES = ['magnitude', 'driftTime', 'endValue'] as const;
type Outcome = (typeof OUTCOMES)[number];

interface Row {
  run: string;
  algorithm: string;
  dataset: string;
  model: string;
  sftDataset: string;
  magnitude: number;
  driftTime: number;
  endValue: number;
}

function readOutcomes(stance: string): Row[] {
  const [header, ...lines] = readFileSync(join(EXPECTED, `outcomes-${stance}.csv`), 'utf8')
    .trim()
    .split(/\r?\n/);
  const cols = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const get = (name: string): string => cells[cols.indexOf(name)]!;
    return {
      run: get('run'),
      algorithm: get('algorithm'),
      dataset: get('dataset'),
      model: get('model'),
      sftDataset: get('sftDataset'),
      magnitude: Number(get('magnitude')),
      driftTime: Number(get('driftTime')),
      endValue: Number(get('endValue')),
    };
  });
}

interface RRow {
  term: string;
  df: number;
  sumSq: number;
  fValue: number | null;
  pValue: number | null;
}
interface RTables {
  n: number;
  type1: RRow[];
  type2: RRow[];
  type3: RRow[];
}

/** |a − b| ≤ 1e-8 · max(1, |b|): absolute for small values, relative for large ones. */
function expectClose(actual: number | null | undefined, expected: number, what: string): void {
  if (actual === null || actual === undefined) throw new Error(`${what}: expected ${expected}, got ${actual}`);
  const tol = 1e-8 * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: expected ${expected}, got ${actual} (diff ${actual - expected})`);
  }
}

/** p-values span many orders of magnitude, so they are compared relatively (and absolutely). */
function expectPClose(actual: number | null | undefined, expected: number, what: string): void {
  if (actual === null || actual === undefined) throw new Error(`${what}: expected ${expected}, got ${actual}`);
  if (!(Math.abs(actual - expected) <= 1e-8 * expected + 1e-14)) {
    throw new Error(`${what}: expected ${expected}, got ${actual} (rel diff ${(actual - expected) / expected})`);
  }
}

function inputFor(rows: Row[], outcome: Outcome, interactions: boolean, type: SumOfSquares): AnovaInput {
  return {
    y: rows.map((r) => r[outcome]),
    factors: [
      { name: 'algorithm', values: rows.map((r) => r.algorithm) },
      { name: 'dataset', values: rows.map((r) => r.dataset) },
    ],
    interactions,
    type,
  };
}

// ---------------------------------------------------------------------------------------------
// Independent reference: dense model matrices built here, least squares via normal equations
// solved by Gauss-Jordan elimination. Nothing from src/analytics/linalg is used.

type Coding = 'treatment' | 'sum';

function levelsOf(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/** Columns for a term (list of factor value arrays) under a coding; first factor fastest. */
function termColumns(factorValues: string[][], coding: Coding): number[][] {
  const n = factorValues[0]!.length;
  let block: number[][] = [new Array<number>(n).fill(1)];
  for (const values of factorValues) {
    const levels = levelsOf(values);
    const k = levels.length;
    const contrast: number[][] = [];
    if (coding === 'treatment') {
      for (let j = 1; j < k; j++) contrast.push(values.map((v) => (v === levels[j] ? 1 : 0)));
    } else {
      for (let j = 0; j < k - 1; j++) {
        contrast.push(values.map((v) => (v === levels[j] ? 1 : v === levels[k - 1] ? -1 : 0)));
      }
    }
    const next: number[][] = [];
    for (const c of contrast) for (const b of block) next.push(b.map((v, i) => v * c[i]!));
    block = next;
  }
  return block;
}

/** RSS of y on the given columns (must be linearly independent), via the normal equations. */
function rssNormalEquations(columns: number[][], y: number[]): number {
  const p = columns.length;
  const a = columns.map((ci) => [
    ...columns.map((cj) => ci.reduce((s, v, k) => s + v * cj[k]!, 0)),
    ci.reduce((s, v, k) => s + v * y[k]!, 0),
  ]);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    const pr = a[c]!;
    if (Math.abs(pr[c]!) < 1e-9) throw new Error('reference solver: singular normal equations');
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const row = a[r]!;
      const f = row[c]! / pr[c]!;
      for (let k = c; k <= p; k++) row[k]! -= f * pr[k]!;
    }
  }
  const beta = a.map((row, i) => row[p]! / row[i]!);
  return y.reduce((s, yi, i) => {
    const fit = columns.reduce((f, col, j) => f + col[i]! * beta[j]!, 0);
    return s + (yi - fit) ** 2;
  }, 0);
}

/** RSS of the model with an intercept plus the given terms (each a list of factor indices). */
function rssOfTerms(y: number[], factors: string[][], terms: number[][], coding: Coding = 'sum'): number {
  const cols: number[][] = [new Array<number>(y.length).fill(1)];
  for (const t of terms)
    cols.push(
      ...termColumns(
        t.map((i) => factors[i]!),
        coding,
      ),
    );
  return rssNormalEquations(cols, y);
}

/** Within-cell SS: the RSS of the full interaction (cell means) model, in closed form. */
function withinCellSs(y: number[], factors: string[][]): number {
  const groups = new Map<string, number[]>();
  y.forEach((v, i) => {
    const key = factors.map((f) => f[i]).join('|');
    groups.set(key, [...(groups.get(key) ?? []), v]);
  });
  let ss = 0;
  for (const g of groups.values()) {
    const m = g.reduce((s, v) => s + v, 0) / g.length;
    for (const v of g) ss += (v - m) ** 2;
  }
  return ss;
}

const sameTerm = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const containsTerm = (outer: number[], inner: number[]): boolean => inner.every((f) => outer.includes(f));

/** Reference Type II / III SS for every term of a full-rank model, from RSS differences. */
function referenceSs(y: number[], factors: string[][], terms: number[][], type: 'TYPE_II' | 'TYPE_III'): number[] {
  const full = rssOfTerms(y, factors, terms);
  return terms.map((t) => {
    if (type === 'TYPE_III') {
      // Drop the term's sum-coded columns from the full model (car's Type III with contr.sum).
      return (
        rssOfTerms(
          y,
          factors,
          terms.filter((u) => !sameTerm(u, t)),
        ) - full
      );
    }
    // car's Type II: compare "everything not containing t" with that plus t.
    const base = terms.filter((u) => !containsTerm(u, t));
    return rssOfTerms(y, factors, base) - rssOfTerms(y, factors, [...base, t]);
  });
}

function termByName(result: AnovaResult, name: string) {
  const t = result.terms.find((x) => x.term === name);
  if (!t) throw new Error(`term ${name} missing from ${result.terms.map((x) => x.term).join(', ')}`);
  return t;
}

// ---------------------------------------------------------------------------------------------

describe('anova against R (conformance fixtures, balanced 3×2 with 4 runs per cell)', () => {
  const cases = STANCES.flatMap((stance) => OUTCOMES.map((outcome) => [stance, outcome] as const));

  it.each(cases)('%s / %s: every table of anova(lm()) and car::Anova(type = 2, 3)', (stance, outcome) => {
    const rows = readOutcomes(stance);
    const expected = JSON.parse(readFileSync(join(EXPECTED, `anova-${stance}-${outcome}.json`), 'utf8')) as {
      interaction: RTables;
      main: RTables;
    };
    for (const [key, interactions] of [
      ['interaction', true],
      ['main', false],
    ] as const) {
      for (const [rKey, type] of [
        ['type1', 'TYPE_I'],
        ['type2', 'TYPE_II'],
        ['type3', 'TYPE_III'],
      ] as const) {
        const r = expected[key];
        const result = anova(inputFor(rows, outcome, interactions, type));
        const what = `${stance}/${outcome}/${key}/${rKey}`;
        expect(result.n).toBe(r.n);
        const rTerms = r[rKey].filter((t) => t.term !== 'Residuals');
        const rRes = r[rKey].find((t) => t.term === 'Residuals')!;
        expect(result.terms.map((t) => t.term)).toEqual(rTerms.map((t) => t.term));
        rTerms.forEach((rt, i) => {
          const t = result.terms[i]!;
          expect(t.df).toBe(rt.df);
          expectClose(t.sumSq, rt.sumSq, `${what} ${rt.term} sumSq`);
          expectClose(t.fValue, rt.fValue!, `${what} ${rt.term} F`);
          expectPClose(t.pValue, rt.pValue!, `${what} ${rt.term} p`);
        });
        expect(result.residual.df).toBe(rRes.df);
        expectClose(result.residual.sumSq, rRes.sumSq, `${what} residual sumSq`);
        expectClose(result.residual.meanSq, rRes.sumSq / rRes.df, `${what} residual meanSq`);
        expect(result.note).toBeNull();
      }
    }
  });

  it('derives the effect sizes from their definitions', () => {
    const rows = readOutcomes('support');
    const result = anova(inputFor(rows, 'magnitude', true, 'TYPE_II'));
    const y = rows.map((r) => r.magnitude);
    const ybar = y.reduce((s, v) => s + v, 0) / y.length;
    const ssTotal = y.reduce((s, v) => s + (v - ybar) ** 2, 0);
    expectClose(result.totalSumSq, ssTotal, 'SS_total');
    const { sumSq: ssRes, meanSq: msRes } = result.residual;
    for (const t of result.terms) {
      expectClose(t.meanSq, t.sumSq / t.df, `${t.term} meanSq`);
      expectClose(t.etaSq, t.sumSq / ssTotal, `${t.term} eta²`);
      expectClose(t.partialEtaSq, t.sumSq / (t.sumSq + ssRes), `${t.term} partial eta²`);
      expectClose(t.omegaSq, (t.sumSq - t.df * msRes!) / (ssTotal + msRes!), `${t.term} omega²`);
    }
    // Balanced and TYPE_II: the terms and the residual add up to the total.
    expectClose(
      result.terms.reduce((s, t) => s + t.sumSq, ssRes),
      ssTotal,
      'SS decomposition',
    );
  });

  it('reports cells and marginal means with counts, levels sorted', () => {
    const rows = readOutcomes('oppose');
    const result = anova(inputFor(rows, 'endValue', true, 'TYPE_I'));
    expect(result.factors).toEqual([
      { name: 'algorithm', levels: ['dpo', 'ppo', 'simpo'] },
      { name: 'dataset', levels: ['synth-support', 'ultrafeedback'] },
    ]);
    expect(result.cells.map((c) => c.levels)).toEqual([
      { algorithm: 'dpo', dataset: 'synth-support' },
      { algorithm: 'dpo', dataset: 'ultrafeedback' },
      { algorithm: 'ppo', dataset: 'synth-support' },
      { algorithm: 'ppo', dataset: 'ultrafeedback' },
      { algorithm: 'simpo', dataset: 'synth-support' },
      { algorithm: 'simpo', dataset: 'ultrafeedback' },
    ]);
    for (const cell of result.cells) {
      const ys = rows.filter((r) => r.algorithm === cell.levels.algorithm && r.dataset === cell.levels.dataset).map((r) => r.endValue);
      expect(cell.count).toBe(4);
      expectClose(cell.mean, ys.reduce((s, v) => s + v, 0) / ys.length, 'cell mean');
    }
    expect(result.marginalMeans.map((m) => [m.factor, m.level, m.count])).toEqual([
      ['algorithm', 'dpo', 8],
      ['algorithm', 'ppo', 8],
      ['algorithm', 'simpo', 8],
      ['dataset', 'synth-support', 12],
      ['dataset', 'ultrafeedback', 12],
    ]);
    const ppo = rows.filter((r) => r.algorithm === 'ppo').map((r) => r.endValue);
    expectClose(result.marginalMeans[1]!.mean, ppo.reduce((s, v) => s + v, 0) / ppo.length, 'marginal mean');
  });
});

describe('spread of cells and marginal means', () => {
  // Worked by hand: level a has 1, 2, 3 (mean 2, sd 1), level b the single value 5.
  // t_{0.975, 2} = 4.302652729911275 (R: qt(0.975, 2)); t_{0.95, 2} = 2.919985580355516.
  const input = (confidence?: number): AnovaInput => ({
    y: [1, 5, 2, 3],
    factors: [{ name: 'f', values: ['a', 'b', 'a', 'a'] }],
    interactions: false,
    type: 'TYPE_II',
    confidence,
  });

  it('gives sd, se and the t interval at the confidence asked for; n < 2 has no sd and a point interval', () => {
    for (const [confidence, t] of [
      [undefined, 4.302652729911275],
      [0.9, 2.919985580355516],
    ] as const) {
      const r = anova(input(confidence));
      const a = r.cells.find((c) => c.levels.f === 'a')!;
      expect(a).toMatchObject({ count: 3, mean: 2, sd: 1 });
      expectClose(a.se!, 1 / Math.sqrt(3), 'se');
      expectClose(a.ciLow, 2 - (t * 1) / Math.sqrt(3), 'ciLow');
      expectClose(a.ciHigh, 2 + (t * 1) / Math.sqrt(3), 'ciHigh');
      expect(r.cells.find((c) => c.levels.f === 'b')).toMatchObject({ count: 1, mean: 5, sd: null, se: null, ciLow: 5, ciHigh: 5 });
      const m = r.marginalMeans.find((x) => x.level === 'a')!;
      expect([m.sd, m.ciLow, m.ciHigh]).toEqual([a.sd, a.ciLow, a.ciHigh]);
    }
  });
});

describe('anova on unbalanced designs without empty cells (independent RSS-difference reference)', () => {
  // Drop rows so that algorithm × dataset cell sizes differ (4, 3, 2, 4, 4, 2): the three types
  // now disagree. Each algorithm × dataset × sftDataset cell keeps at least one of its two runs.
  const dropRuns = new Set([
    'llama-3-3b.wildchat.dpo.ultrafeedback.s0',
    'llama-3-3b.alpaca.ppo.synth-support.s1',
    'llama-3-3b.wildchat.ppo.synth-support.s0',
    'llama-3-3b.alpaca.simpo.ultrafeedback.s1',
    'llama-3-3b.wildchat.simpo.ultrafeedback.s1',
  ]);
  const rows = readOutcomes('support').filter((r) => !dropRuns.has(r.run));

  it('drops the intended rows', () => {
    expect(rows).toHaveLength(19);
  });

  it.each(OUTCOMES)('two factors with interaction (%s)', (outcome) => {
    const y = rows.map((r) => r[outcome]);
    const A = rows.map((r) => r.algorithm);
    const B = rows.map((r) => r.dataset);
    const f = [A, B];
    const rss0 = rssOfTerms(y, f, []);
    const rssA = rssOfTerms(y, f, [[0]]);
    const rssB = rssOfTerms(y, f, [[1]]);
    const rssAB = rssOfTerms(y, f, [[0], [1]]);
    const rssCells = withinCellSs(y, f);
    const expected: Record<SumOfSquares, number[]> = {
      TYPE_I: [rss0 - rssA, rssA - rssAB, rssAB - rssCells],
      TYPE_II: [rssB - rssAB, rssA - rssAB, rssAB - rssCells],
      TYPE_III: referenceSs(y, f, [[0], [1], [0, 1]], 'TYPE_III'),
    };
    // Cross-check the generic reference helper against the explicit formulas.
    expect(referenceSs(y, f, [[0], [1], [0, 1]], 'TYPE_II')).toEqual(
      expected.TYPE_II.map((v) => expect.closeTo(v, 12) as unknown as number),
    );
    const ssr = rssCells;
    const dfr = rows.length - 6;
    for (const type of ['TYPE_I', 'TYPE_II', 'TYPE_III'] as const) {
      const result = anova(inputFor(rows, outcome, true, type));
      expect(result.terms.map((t) => [t.term, t.df])).toEqual([
        ['algorithm', 2],
        ['dataset', 1],
        ['algorithm:dataset', 2],
      ]);
      expect(result.residual.df).toBe(dfr);
      expectClose(result.residual.sumSq, ssr, `${type} residual`);
      result.terms.forEach((t, i) => {
        expectClose(t.sumSq, expected[type][i]!, `${type} ${t.term} sumSq`);
        const F = t.sumSq / t.df / (ssr / dfr);
        expectClose(t.fValue, F, `${type} ${t.term} F`);
      });
    }
    // The types really differ here, so the comparison above is not vacuous.
    expect(Math.abs(expected.TYPE_I[0]! - expected.TYPE_II[0]!)).toBeGreaterThan(1e-6);
    expect(Math.abs(expected.TYPE_II[0]! - expected.TYPE_III[0]!)).toBeGreaterThan(1e-6);
  });

  it('main effects only: TYPE_II = TYPE_III = each factor entered last', () => {
    const y = rows.map((r) => r.endValue);
    const f = [rows.map((r) => r.algorithm), rows.map((r) => r.dataset)];
    const rssFull = rssOfTerms(y, f, [[0], [1]]);
    const last = [rssOfTerms(y, f, [[1]]) - rssFull, rssOfTerms(y, f, [[0]]) - rssFull];
    for (const type of ['TYPE_II', 'TYPE_III'] as const) {
      const result = anova(inputFor(rows, 'endValue', false, type));
      result.terms.forEach((t, i) => expectClose(t.sumSq, last[i]!, `${type} ${t.term}`));
      expect(result.residual.df).toBe(rows.length - 4);
      expectClose(result.residual.sumSq, rssFull, `${type} residual`);
    }
  });

  it.each(['TYPE_I', 'TYPE_II', 'TYPE_III'] as const)('three factors with all interactions (%s)', (type) => {
    const y = rows.map((r) => r.magnitude);
    const f = [rows.map((r) => r.algorithm), rows.map((r) => r.dataset), rows.map((r) => r.sftDataset)];
    const terms = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];
    // 12 cells, none empty after the drops (each cell had 2 runs, at most one dropped per cell).
    const result = anova({
      y,
      factors: [
        { name: 'A', values: f[0]! },
        { name: 'D', values: f[1]! },
        { name: 'S', values: f[2]! },
      ],
      interactions: true,
      type,
    });
    expect(result.terms.map((t) => [t.term, t.df])).toEqual([
      ['A', 2],
      ['D', 1],
      ['S', 1],
      ['A:D', 2],
      ['A:S', 2],
      ['D:S', 1],
      ['A:D:S', 2],
    ]);
    const rssFull = withinCellSs(y, f);
    let expected: number[];
    if (type === 'TYPE_I') {
      const rss = terms.map((_, i) => rssOfTerms(y, f, terms.slice(0, i + 1)));
      expected = rss.map((r, i) => (i === 0 ? rssOfTerms(y, f, []) : rss[i - 1]!) - r);
    } else {
      expected = referenceSs(y, f, terms, type);
    }
    result.terms.forEach((t, i) => expectClose(t.sumSq, expected[i]!, `${type} ${t.term}`));
    expect(result.residual.df).toBe(rows.length - 12);
    expectClose(result.residual.sumSq, rssFull, 'residual');
  });
});

describe('anova with an empty cell', () => {
  // No ppo × synth-support runs at all, plus one dpo × ultrafeedback run fewer.
  const rows = readOutcomes('neutral').filter(
    (r) => !(r.algorithm === 'ppo' && r.dataset === 'synth-support') && r.run !== 'llama-3-3b.alpaca.dpo.ultrafeedback.s0',
  );

  it('drops the intended rows', () => {
    expect(rows).toHaveLength(19);
  });

  it.each(OUTCOMES)('TYPE_I gives the interaction its estimable df only, like R (%s)', (outcome) => {
    const y = rows.map((r) => r[outcome]);
    const f = [rows.map((r) => r.algorithm), rows.map((r) => r.dataset)];
    const rss0 = rssOfTerms(y, f, []);
    const rssA = rssOfTerms(y, f, [[0]]);
    const rssAB = rssOfTerms(y, f, [[0], [1]]);
    const rssCells = withinCellSs(y, f);
    const result = anova(inputFor(rows, outcome, true, 'TYPE_I'));
    // 5 observed cells: 1 + 2 + 1 coefficients for the main effects leave 1 for the interaction.
    expect(result.terms.map((t) => [t.term, t.df])).toEqual([
      ['algorithm', 2],
      ['dataset', 1],
      ['algorithm:dataset', 1],
    ]);
    const dfr = rows.length - 5;
    expect(result.residual.df).toBe(dfr);
    expectClose(result.residual.sumSq, rssCells, 'residual');
    const expected = [rss0 - rssA, rssA - rssAB, rssAB - rssCells];
    result.terms.forEach((t, i) => {
      expectClose(t.sumSq, expected[i]!, `${t.term} sumSq`);
      expectClose(t.fValue, t.sumSq / t.df / (rssCells / dfr), `${t.term} F`);
    });
    expect(result.note).toMatch(/1 combination of factor levels has no observations/);
    expect(result.note).toMatch(/algorithm:dataset \(1 of 2 df\)/);
    expect(result.cells).toHaveLength(5);
  });

  it.each(['TYPE_II', 'TYPE_III'] as const)('%s throws a UserInputError naming the empty cell', (type) => {
    const run = (): AnovaResult =>
      anova({
        y: rows.map((r) => r.magnitude),
        factors: [
          { name: 'ALGORITHM', values: rows.map((r) => r.algorithm) },
          { name: 'DATASET', values: rows.map((r) => r.dataset) },
        ],
        interactions: true,
        type,
      });
    expect(run).toThrow(UserInputError);
    expect(run).toThrow(/ALGORITHM=ppo × DATASET=synth-support/);
    expect(run).toThrow(/interactions: false/);
    expect(run).toThrow(/sumOfSquares: TYPE_I/);
    try {
      run();
    } catch (e) {
      expect(e as UserInputError).toMatchObject({
        code: 'BAD_USER_INPUT',
        details: { emptyCells: ['ALGORITHM=ppo × DATASET=synth-support'] },
      });
    }
  });

  it('main effects only are fine under TYPE_II (the empty cell does not matter without interactions)', () => {
    const result = anova(inputFor(rows, 'endValue', false, 'TYPE_II'));
    const y = rows.map((r) => r.endValue);
    const f = [rows.map((r) => r.algorithm), rows.map((r) => r.dataset)];
    const rssFull = rssOfTerms(y, f, [[0], [1]]);
    expectClose(termByName(result, 'algorithm').sumSq, rssOfTerms(y, f, [[1]]) - rssFull, 'algorithm');
    expectClose(termByName(result, 'dataset').sumSq, rssOfTerms(y, f, [[0]]) - rssFull, 'dataset');
    expect(result.note).toBeNull();
  });
});

describe('anova term order and edge cases', () => {
  it('orders interactions like R: by order, then A:B A:C B:C A:D B:D C:D', () => {
    const n = 40;
    const level = (i: number, k: number, s: number): string => `l${Math.floor(i / s) % k}`;
    const factors = ['A', 'B', 'C', 'D'].map((name, j) => ({
      name,
      values: Array.from({ length: n }, (_, i) => level(i, 2, 2 ** j)),
    }));
    const y = Array.from({ length: n }, (_, i) => Math.sin(i));
    const result = anova({ y, factors, interactions: true, type: 'TYPE_I' });
    expect(result.terms.map((t) => t.term)).toEqual([
      'A',
      'B',
      'C',
      'D',
      'A:B',
      'A:C',
      'B:C',
      'A:D',
      'B:D',
      'C:D',
      'A:B:C',
      'A:B:D',
      'A:C:D',
      'B:C:D',
      'A:B:C:D',
    ]);
  });

  it('with no residual df, returns the table with null F and p and a note', () => {
    const result = anova({
      y: [1, 2, 4, 8, 3, 5],
      factors: [
        { name: 'A', values: ['a', 'a', 'b', 'b', 'c', 'c'] },
        { name: 'B', values: ['x', 'y', 'x', 'y', 'x', 'y'] },
      ],
      interactions: true,
      type: 'TYPE_III',
    });
    expect(result.residual).toEqual({ df: 0, sumSq: expect.any(Number), meanSq: null });
    expect(result.residual.sumSq).toBeLessThan(1e-20);
    expect(result.terms).toHaveLength(3);
    for (const t of result.terms) {
      expect(t.fValue).toBeNull();
      expect(t.pValue).toBeNull();
      expect(t.omegaSq).toBeNull();
      expect(t.sumSq).toBeGreaterThan(0);
    }
    expect(result.note).toMatch(/No residual degrees of freedom/);
  });

  it('TYPE_I drops a term that is completely aliased, like R', () => {
    // B duplicates A under another name: R's anova(lm(y ~ A + B)) shows only A.
    const result = anova({
      y: [1, 2, 3, 5, 8, 13],
      factors: [
        { name: 'A', values: ['a', 'a', 'b', 'b', 'c', 'c'] },
        { name: 'B', values: ['x', 'x', 'y', 'y', 'z', 'z'] },
      ],
      interactions: false,
      type: 'TYPE_I',
    });
    expect(result.terms.map((t) => [t.term, t.df])).toEqual([['A', 2]]);
    expect(result.residual.df).toBe(3);
    expect(result.note).toMatch(/B/);
  });

  it('TYPE_II/III on confounded factors throws a UserInputError', () => {
    const run = (): AnovaResult =>
      anova({
        y: [1, 2, 3, 5, 8, 13],
        factors: [
          { name: 'MODEL', values: ['a', 'a', 'b', 'b', 'c', 'c'] },
          { name: 'SFT_DATASET', values: ['x', 'x', 'y', 'y', 'z', 'z'] },
        ],
        interactions: false,
        type: 'TYPE_II',
      });
    expect(run).toThrow(UserInputError);
    expect(run).toThrow(/SFT_DATASET.*confounded/);
  });

  it('rejects a factor with a single level, and no observations', () => {
    expect(() =>
      anova({ y: [1, 2, 3], factors: [{ name: 'DATASET', values: ['u', 'u', 'u'] }], interactions: true, type: 'TYPE_II' }),
    ).toThrow(/Factor DATASET has only one level \(u\).*Remove DATASET from factors/);
    expect(() => anova({ y: [], factors: [{ name: 'A', values: [] }], interactions: true, type: 'TYPE_I' })).toThrow(UserInputError);
    expect(() => anova({ y: [1], factors: [], interactions: true, type: 'TYPE_I' })).toThrow(UserInputError);
  });

  it('treats misaligned or non-finite input as a programming error', () => {
    expect(() => anova({ y: [1, 2], factors: [{ name: 'A', values: ['a'] }], interactions: false, type: 'TYPE_I' })).toThrow(RangeError);
    expect(() => anova({ y: [1, Number.NaN], factors: [{ name: 'A', values: ['a', 'b'] }], interactions: false, type: 'TYPE_I' })).toThrow(
      RangeError,
    );
  });

  it('refuses models with too many coefficients', () => {
    const n = 13 ** 3; // every cell observed once, so the size limit is what fails
    const factors = [0, 1, 2].map((j) => ({
      name: `F${j}`,
      values: Array.from({ length: n }, (_, i) => `l${Math.floor(i / 13 ** j) % 13}`),
    }));
    expect(12 * 12 * 12).toBeGreaterThan(MAX_MODEL_COEFFICIENTS);
    expect(() => anova({ y: Array.from({ length: n }, (_, i) => i % 7), factors, interactions: true, type: 'TYPE_III' })).toThrow(
      new RegExp(`more than ${MAX_MODEL_COEFFICIENTS} coefficients.*interactions: false`),
    );
  });
});

describe('fUpperTail', () => {
  it('matches the closed form for df1 = 2 down to tiny p: P(F > x) = (1 + 2x/d2)^(-d2/2)', () => {
    for (const [x, d2] of [
      [0.5, 18],
      [3, 7],
      [12.5, 20],
      [400, 18],
      [1e3, 100], // p ≈ 8e-67
      [1e4, 30],
    ] as const) {
      const exact = (1 + (2 * x) / d2) ** (-d2 / 2);
      expect(Math.abs(fUpperTail(x, 2, d2) - exact) / exact).toBeLessThan(1e-11);
    }
    // stdlib's incomplete beta loses a few more digits at extreme F, still far inside 1e-8.
    const exact = (1 + 2e6 / 30) ** -15;
    expect(Math.abs(fUpperTail(1e6, 2, 30) - exact) / exact).toBeLessThan(1e-9);
    // Where 1 − cdf has already cancelled to 0.
    expect(1 - fCdf(1e3, 2, 100)).toBe(0);
  });

  it('matches the t distribution for df1 = 1 (F = t²)', () => {
    // P(F(1, 10) > 4) = P(|t_10| > 2) = 2 · P(t_10 < −2); R: 2 * pt(-2, 10) = 0.073388...
    expect(Math.abs(fUpperTail(4, 1, 10) - 2 * tCdf(-2, 10))).toBeLessThan(1e-14);
    expect(fUpperTail(4, 1, 10)).toBeCloseTo(0.073388, 6);
    expect(Math.abs(fUpperTail(900, 1, 12) - 2 * tCdf(-30, 12)) / (2 * tCdf(-30, 12))).toBeLessThan(1e-10);
  });

  it('handles the ends', () => {
    expect(fUpperTail(0, 3, 10)).toBe(1);
    expect(fUpperTail(Number.POSITIVE_INFINITY, 3, 10)).toBe(0);
  });
});
