/**
 * What bench/run.ts measures, shared with the benches that compare against it (bench/cluster.ts):
 * the GraphQL operations, the seeded one-run chart load, and the raw DuckDB baselines (the same
 * numbers by hand-written SQL from the raw observation table or from a materialised
 * per-checkpoint table `cp`).
 */
import { sqlString } from '../src/db/sql';
import { prng } from './generate';

export const Q = {
  trajectories: `query($ids: [ID!]) { trajectories(runIds: $ids) { runId topic stance points { stage step globalStep progress value ciLow ciHigh n } } }`,
  drift: `{ driftMetrics { runId topic stance stage magnitude driftTime startValue endValue extremumValue extremumStep } }`,
  attribution: `{ stageAttribution { runId topic stance totalDelta stages { stage delta netShare pathLength pathShare distributionShift } } }`,
  grouped: `{ groupedTrajectories(groupBy: [ALGORITHM, DATASET], gridPoints: 50) { label topic stance stages { stage points { progress mean ciLow ciHigh n } drift { magnitude { mean ciLow ciHigh } } } } }`,
  chart: `query($id: ID!, $topic: String!) { trajectories(runIds: [$id], topics: [$topic]) { runId topic stance points { stage step globalStep progress value ciLow ciHigh n } } }`,
  effect: `{ effectDecomposition(input: { outcome: END_VALUE, stance: SUPPORT, interactions: false }) { n terms { term df sumSq fValue pValue } residual { df sumSq } } }`,
};

/** Bodies of one-run, one-topic chart queries, run and topic drawn from a seeded PRNG. */
export function variedCharts(ids: string[], topics: string[], seed: number): () => string {
  const rnd = prng(seed);
  return () =>
    JSON.stringify({
      query: Q.chart,
      variables: { id: ids[Math.floor(rnd() * ids.length)]!, topic: topics[Math.floor(rnd() * topics.length)]! },
    });
}

/** Per-checkpoint mean and sd of prompt means, computed from the raw observation table. */
export const PER_CHECKPOINT = (where: string) => `
  WITH pm AS (SELECT run_id, stage, step, topic, prompt_id, avg(p_support) s, avg(p_neutral) n, avg(p_oppose) o
              FROM observations ${where} GROUP BY ALL)
  SELECT run_id, stage, step, topic, count(*) AS prompts, avg(s) vs, stddev_samp(s) ss, avg(n) vn, stddev_samp(n) sn, avg(o) vo, stddev_samp(o) so
  FROM pm GROUP BY ALL`;

export const MATERIALISE = `CREATE OR REPLACE TABLE cp AS SELECT * FROM (${PER_CHECKPOINT('')}) ORDER BY run_id, stage, step, topic`;

export type Source = (where: string) => string;
export const FROM_RAW: Source = PER_CHECKPOINT;
export const FROM_CP: Source = (where) => `SELECT run_id, stage, step, topic, prompts, vs, ss, vn, sn, vo, so FROM cp ${where}`;

export const ORDERED = `(CASE stage WHEN 'base' THEN 0 WHEN 'sft' THEN 1 ELSE 2 END)`;

export const SQL = {
  trajectories: (src: Source, runs: string[]) =>
    `SELECT * FROM (${src(`WHERE run_id IN (${runs.map(sqlString).join(', ')})`)}) ORDER BY run_id, topic, ${ORDERED}, step`,
  // Per stage: start (previous stage's last value), end, extremes and LAST magnitude per stance.
  drift: (src: Source) => `WITH v AS (${src('')}),
    e AS (SELECT run_id, topic, ${ORDERED} AS k, arg_max(vs, step) ls, arg_max(vn, step) ln, arg_max(vo, step) lo,
                 max(vs) xs, min(vs) ms, max(vn) xn, min(vn) mn, max(vo) xo, min(vo) mo FROM v GROUP BY ALL)
    SELECT *, ls - lag(ls) OVER w AS mag_s, ln - lag(ln) OVER w AS mag_n, lo - lag(lo) OVER w AS mag_o
    FROM e WINDOW w AS (PARTITION BY run_id, topic ORDER BY k)`,
  attribution: (src: Source) => `WITH v AS (SELECT *, ${ORDERED} AS k FROM (${src('')})),
    steps AS (SELECT *, abs(vs - lag(vs) OVER w) ds, abs(vn - lag(vn) OVER w) dn, abs(vo - lag(vo) OVER w) dd
              FROM v WINDOW w AS (PARTITION BY run_id, topic ORDER BY k, step)),
    st AS (SELECT run_id, topic, k, arg_max(vs, step) ls, arg_max(vn, step) ln, arg_max(vo, step) lo,
                  sum(coalesce(ds, 0)) pls, sum(coalesce(dn, 0)) pln, sum(coalesce(dd, 0)) plo FROM steps GROUP BY ALL),
    d AS (SELECT *, ls - lag(ls) OVER w AS delta_s, ln - lag(ln) OVER w AS delta_n, lo - lag(lo) OVER w AS delta_o
          FROM st WINDOW w AS (PARTITION BY run_id, topic ORDER BY k))
    SELECT *, abs(delta_s) / sum(abs(delta_s)) OVER p AS net_s, pls / sum(pls) OVER p AS path_s,
              (abs(delta_s) + abs(delta_n) + abs(delta_o)) / 2 AS shift
    FROM d WHERE k > 0 WINDOW p AS (PARTITION BY run_id, topic)`,
  grouped: (src: Source) => `WITH v AS (${src('')})
    SELECT r.algorithm, r.dataset, v.stage, v.step, v.topic, avg(vs), stddev_samp(vs), avg(vn), stddev_samp(vn), avg(vo), stddev_samp(vo), count(*)
    FROM v JOIN runs r USING (run_id) GROUP BY ALL`,
  effect: (src: Source) => `WITH v AS (${src("WHERE stage = 'po'")}),
    endv AS (SELECT run_id, topic, arg_max(vs, step) e FROM v GROUP BY ALL),
    y AS (SELECT run_id, avg(e) y FROM endv GROUP BY ALL)
    SELECT r.algorithm, r.dataset, count(*), avg(y), var_samp(y) FROM y JOIN runs r USING (run_id) GROUP BY ALL`,
};

export async function gqlCall(url: string, query: string, variables?: object): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { errors?: { message: string }[] };
  if (body.errors) throw new Error(`GraphQL error: ${body.errors[0]!.message}`);
  return body;
}

export interface RunPage {
  nodes: { id: string; key: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export async function allRuns(url: string): Promise<{ id: string; key: string }[]> {
  const out: { id: string; key: string }[] = [];
  let after: string | null = null;
  for (;;) {
    const res = (await gqlCall(
      url,
      `query($after: String) { runs(first: 50, after: $after) { nodes { id key } pageInfo { hasNextPage endCursor } } }`,
      {
        after,
      },
    )) as { data: { runs: RunPage } };
    const page: RunPage = res.data.runs;
    out.push(...page.nodes);
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return out;
    after = page.pageInfo.endCursor;
  }
}
