/**
 * Effect decomposition and grouped trajectories over HTTP, against the R output and the
 * independent values of the conformance fixture.
 */
import tQuantileOf from '@stdlib/stats-base-dists-t-quantile';
import fs from 'node:fs';
import path from 'node:path';
import { CONFORMANCE, startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

interface RRow {
  term: string;
  df: number;
  sumSq: number;
  fValue: number | null;
  pValue: number | null;
}
type RTables = Record<'interaction' | 'main', { n: number; type1: RRow[]; type2: RRow[]; type3: RRow[] }>;
const expected = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, 'expected', 'metrics.json'), 'utf8')) as {
  values: { run: string; stage: string; step: number; topic: string; support: number }[];
  drift: { run: string; topic: string; stance: string; stage: string; magnitude: number; driftTime: number }[];
  attribution: {
    run: string;
    topic: string;
    stance: string;
    stages: { stage: string; delta: number; netShare: number | null; pathShare: number | null }[];
  }[];
  outcomes: { run: string; stance: string; algorithm: string }[];
};

/** t_{p, df} from @stdlib directly, not through the code under test. */
const tQuantile = (p: number, df: number) => tQuantileOf(p, df);

const close = (a: number | null, b: number | null, tol: number) => {
  if (b === null) return expect(a).toBeNull();
  expect(a).not.toBeNull();
  expect(Math.abs(a! - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
};

const EFFECT = `query($input: EffectDecompositionInput!) { effectDecomposition(input: $input) {
  n sumOfSquares factors note
  terms { term df sumSq meanSq fValue pValue etaSq partialEtaSq omegaSq }
  residual { df sumSq meanSq } totalSumSq
  cells { levels { factor level } count mean }
  marginalMeans { factor level count mean }
  pairwise { factor within comparisons { within levelA levelB difference ciLow ciHigh pValue pAdjusted } }
  excludedRuns { runKey reason }
} }`;

describe('effectDecomposition and groupedTrajectories', () => {
  const dir = tempDir();
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(path.join(dir, 'fx.duckdb'));
  });
  afterAll(() => s.close());

  const outcomes = { magnitude: 'DRIFT_MAGNITUDE', driftTime: 'DRIFT_TIME', endValue: 'END_VALUE' } as const;
  const types = { type1: 'TYPE_I', type2: 'TYPE_II', type3: 'TYPE_III' } as const;
  const cases = (['support', 'neutral', 'oppose'] as const).flatMap((stance) =>
    (Object.keys(outcomes) as (keyof typeof outcomes)[]).flatMap((outcome) =>
      (['interaction', 'main'] as const).flatMap((model) =>
        (Object.keys(types) as (keyof typeof types)[]).map((type) => ({ stance, outcome, model, type })),
      ),
    ),
  );

  it.each(cases)('matches R: $stance $outcome $model $type', async ({ stance, outcome, model, type }) => {
    const r = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, 'expected', `anova-${stance}-${outcome}.json`), 'utf8')) as RTables;
    const res = await s.gql<{ effectDecomposition: { n: number; terms: RRow[]; residual: { df: number; sumSq: number } } }>(EFFECT, {
      input: {
        outcome: outcomes[outcome],
        stance: stance.toUpperCase(),
        factors: ['ALGORITHM', 'DATASET'],
        interactions: model === 'interaction',
        sumOfSquares: types[type],
      },
    });
    expect(res.errors).toBeUndefined();
    const got = res.data!.effectDecomposition;
    const want = r[model][type];
    expect(got.n).toBe(r[model].n);
    const terms = want.filter((w) => w.term !== 'Residuals');
    expect(got.terms.map((t) => t.term)).toEqual(terms.map((w) => w.term.toUpperCase()));
    terms.forEach((w, i) => {
      const g = got.terms[i]!;
      expect(g.df).toBe(w.df);
      close(g.sumSq, w.sumSq, 1e-8);
      close(g.fValue, w.fValue, 1e-8);
      close(g.pValue, w.pValue, 1e-8);
    });
    const res_ = want.find((w) => w.term === 'Residuals')!;
    expect(got.residual.df).toBe(res_.df);
    close(got.residual.sumSq, res_.sumSq, 1e-8);
  });

  it('reports effect sizes from their definitions, cells and marginal means', async () => {
    const res = await s.gql<{
      effectDecomposition: {
        terms: { term: string; df: number; sumSq: number; meanSq: number; etaSq: number; partialEtaSq: number; omegaSq: number }[];
        residual: { df: number; sumSq: number; meanSq: number };
        totalSumSq: number;
        cells: { count: number; mean: number }[];
        marginalMeans: { factor: string; count: number }[];
      };
    }>(EFFECT, {
      input: { outcome: 'DRIFT_MAGNITUDE', stance: 'SUPPORT' },
    });
    const e = res.data!.effectDecomposition;
    for (const t of e.terms) {
      close(t.meanSq, t.sumSq / t.df, 1e-12);
      close(t.etaSq, t.sumSq / e.totalSumSq, 1e-12);
      close(t.partialEtaSq, t.sumSq / (t.sumSq + e.residual.sumSq), 1e-12);
      close(t.omegaSq, (t.sumSq - t.df * e.residual.meanSq) / (e.totalSumSq + e.residual.meanSq), 1e-12);
    }
    expect(e.cells).toHaveLength(6);
    expect(e.cells.every((c) => c.count === 4)).toBe(true);
    expect(e.marginalMeans.filter((m) => m.factor === 'ALGORITHM').map((m) => m.count)).toEqual([8, 8, 8]);
  });

  it('compares algorithms within each preference dataset with Holm-adjusted Welch tests', async () => {
    const res = await s.gql<{
      effectDecomposition: {
        pairwise: { comparisons: { within: string; levelA: string; levelB: string; pValue: number; pAdjusted: number }[] };
      };
    }>(EFFECT, {
      input: { outcome: 'END_VALUE', stance: 'SUPPORT', pairwise: { factor: 'ALGORITHM', within: 'DATASET' } },
    });
    expect(res.errors).toBeUndefined();
    const c = res.data!.effectDecomposition.pairwise.comparisons;
    expect(c).toHaveLength(6); // 3 pairs × 2 datasets
    const sorted = [...c].sort((a, b) => a.pValue - b.pValue);
    // Holm: the smallest p is multiplied by the family size (6), capped at 1.
    expect(sorted[0]!.pAdjusted).toBeCloseTo(Math.min(1, sorted[0]!.pValue * 6), 12);
  });

  it('refuses TYPE_II on an interaction model with an empty cell, naming it', async () => {
    const res = await s.gql(EFFECT, {
      input: {
        outcome: 'DRIFT_MAGNITUDE',
        stance: 'SUPPORT',
        runFilter: { key: expected.drift.map((d) => d.run).filter((k) => !/\.ppo\.synth-support\./.test(k)) },
      },
    });
    expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toMatch(/ALGORITHM=ppo × DATASET=synth-support/);
    expect(res.errors![0]!.message).toMatch(/interactions: false|TYPE_I/);
    const typeI = await s.gql<{ effectDecomposition: { terms: { term: string; df: number }[] } }>(EFFECT, {
      input: {
        outcome: 'DRIFT_MAGNITUDE',
        stance: 'SUPPORT',
        sumOfSquares: 'TYPE_I',
        runFilter: { key: expected.drift.map((d) => d.run).filter((k) => !/\.ppo\.synth-support\./.test(k)) },
      },
    });
    expect(typeI.errors).toBeUndefined();
    expect(typeI.data!.effectDecomposition.terms.map((t) => t.df)).toEqual([2, 1, 1]);
  });

  it('refuses a factor with one level, and a selection with no runs', async () => {
    const one = await s.gql(EFFECT, { input: { outcome: 'DRIFT_MAGNITUDE', stance: 'SUPPORT', factors: ['ALGORITHM', 'MODEL'] } });
    expect(one.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(one.errors![0]!.message).toMatch(/MODEL/);
    const none = await s.gql(EFFECT, { input: { outcome: 'DRIFT_MAGNITUDE', stance: 'SUPPORT', runFilter: { lab: 'nobody' } } });
    expect(none.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('groups runs and averages them on the progress grid, with drift summaries', async () => {
    const res = await s.gql<{
      groupedTrajectories: {
        label: string;
        topic: string;
        runKeys: string[];
        labs: string[];
        stages: {
          stage: string;
          runs: number;
          index: number;
          points: { progress: number; globalProgress: number; mean: number; n: number; ciLow: number; ciHigh: number }[];
          drift: { magnitude: { mean: number; n: number } } | null;
        }[];
      }[];
    }>(
      `{ groupedTrajectories(groupBy: [ALGORITHM, DATASET], topics: ["abortion"], stances: [SUPPORT], gridPoints: 5) {
          label topic runKeys labs stages { stage index runs points { progress globalProgress mean n ciLow ciHigh } drift { magnitude { mean n } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const groups = res.data!.groupedTrajectories;
    expect(groups).toHaveLength(6);
    const g = groups.find((x) => x.label === 'ALGORITHM=dpo, DATASET=synth-support')!;
    expect(g.runKeys).toHaveLength(4);
    expect(g.labs).toEqual(['mila-demo']);
    const po = g.stages.find((st) => st.stage === 'po')!;
    // progress 1 = step 200 of every run: the mean of the fixture's values there.
    const at200 = g.runKeys.map(
      (k) => expected.values.find((v) => v.run === k && v.stage === 'po' && v.step === 200 && v.topic === 'abortion')!.support,
    );
    const end = po.points[po.points.length - 1]!;
    expect(end.progress).toBe(1);
    expect(end.n).toBe(4);
    close(end.mean, at200.reduce((a, b) => a + b, 0) / 4, 1e-12);
    const mags = g.runKeys.map(
      (k) => expected.drift.find((d) => d.run === k && d.stage === 'po' && d.topic === 'abortion' && d.stance === 'support')!.magnitude,
    );
    close(po.drift!.magnitude.mean, mags.reduce((a, b) => a + b, 0) / 4, 1e-12);
    expect(po.drift!.magnitude.n).toBe(4);
    // The run-level axis: slots end to end, in training order (base, sft, po here).
    expect(g.stages.map((st) => st.stage)).toEqual(['base', 'sft', 'po']);
    const axis = g.stages.flatMap((st, i) => {
      expect(st.index).toBe(i);
      return st.points.map((p) => {
        expect(p.globalProgress).toBe(i + p.progress);
        return p.globalProgress;
      });
    });
    expect(axis).toEqual([...axis].sort((a, b) => a - b));
    expect(axis[axis.length - 1]).toBe(3);
  });

  it('summarises attribution per group and stage kind: means of the runs’ shares and deltas with t intervals', async () => {
    const res = await s.gql<{
      attributionSummary: {
        label: string;
        topic: string;
        stance: string;
        runs: number;
        kinds: {
          stageKind: string;
          runs: number;
          netShare: { mean: number; sd: number; ciLow: number; ciHigh: number; n: number } | null;
          pathShare: { mean: number; n: number } | null;
          delta: { mean: number; n: number };
          absDelta: { mean: number; n: number };
        }[];
      }[];
    }>(
      `{ attributionSummary(groupBy: [ALGORITHM], topics: ["abortion"], stances: [SUPPORT]) {
          label topic stance runs kinds { stageKind runs netShare { mean sd ciLow ciHigh n } pathShare { mean n } delta { mean n } absDelta { mean n } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const groups = res.data!.attributionSummary;
    expect(groups.map((g) => g.label)).toEqual(['ALGORITHM=dpo', 'ALGORITHM=ppo', 'ALGORITHM=simpo']);
    for (const g of groups) {
      const algorithm = g.label.split('=')[1]!;
      const runs = expected.outcomes.filter((o) => o.stance === 'support' && o.algorithm === algorithm).map((o) => o.run);
      expect(g.runs).toBe(runs.length);
      const per = runs.map((run) => expected.attribution.find((a) => a.run === run && a.topic === 'abortion' && a.stance === 'support')!);
      // The fixture's runs have one SFT stage ("sft") and one preference stage ("po").
      expect(g.kinds.map((k) => k.stageKind)).toEqual(['SFT', 'PREFERENCE']);
      for (const [kind, stage] of [
        ['SFT', 'sft'],
        ['PREFERENCE', 'po'],
      ] as const) {
        const k = g.kinds.find((x) => x.stageKind === kind)!;
        const st = per.map((a) => a.stages.find((x) => x.stage === stage)!);
        const shares = st.map((x) => x.netShare).filter((x): x is number => x !== null);
        const n = shares.length;
        const m = shares.reduce((a, b) => a + b, 0) / n;
        const sd = Math.sqrt(shares.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
        const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
        expect(k.runs).toBe(runs.length);
        expect(k.netShare!.n).toBe(n);
        close(k.netShare!.mean, m, 1e-12);
        close(k.netShare!.sd, sd, 1e-12);
        close(k.netShare!.ciLow, m - half, 1e-12);
        close(k.netShare!.ciHigh, m + half, 1e-12);
        close(k.delta.mean, st.reduce((a, x) => a + x.delta, 0) / st.length, 1e-12);
        close(k.absDelta.mean, st.reduce((a, x) => a + Math.abs(x.delta), 0) / st.length, 1e-12);
        const paths = st.map((x) => x.pathShare).filter((x): x is number => x !== null);
        close(k.pathShare!.mean, paths.reduce((a, b) => a + b, 0) / paths.length, 1e-12);
      }
      // Each run's kinds split its whole net change, so the mean shares add up to 1.
      close(
        g.kinds.reduce((a, k) => a + k.netShare!.mean, 0),
        1,
        1e-12,
      );
    }
  });

  it('validates gridPoints', async () => {
    const r = await s.gql(`{ groupedTrajectories(groupBy: [MODEL], gridPoints: 1) { label } }`);
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });
});
