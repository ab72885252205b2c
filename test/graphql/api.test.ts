import path from 'node:path';
import http from 'node:http';
import zlib from 'node:zlib';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';
import { parse, validate } from 'graphql';
import { tQuantile } from '../../src/analytics/stats';
import { createSchema } from '../../src/graphql/schema';
import { depthLimit } from '../../src/graphql/limits';

// Expected numbers come from the independent implementation behind the conformance fixture.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const expected = require('../fixtures/conformance/expected/metrics.json') as {
  values: {
    run: string;
    stage: string;
    step: number;
    topic: string;
    n: number;
    support: number;
    neutral: number;
    oppose: number;
    support_half: number;
    neutral_half: number;
    oppose_half: number;
  }[];
  drift: {
    run: string;
    topic: string;
    stance: string;
    stage: string;
    magnitude: number;
    magnitudeExtremum: number;
    driftTime: number;
    startValue: number;
    endValue: number;
    extremumValue: number;
    extremumStep: number;
  }[];
  attribution: {
    run: string;
    topic: string;
    stance: string;
    totalDelta: number;
    stages: { stage: string; delta: number; netShare: number | null; pathLength: number; pathShare: number | null }[];
  }[];
};

const TOL = 1e-9;
const STANCES = ['support', 'neutral', 'oppose'] as const;

describe('GraphQL API over HTTP on the conformance bundle', () => {
  const dir = tempDir();
  let s: TestServer;
  const idOf = new Map<string, string>();

  beforeAll(async () => {
    s = await startServer(path.join(dir, 'api.duckdb'));
    let after: string | null = null;
    do {
      const r: Awaited<
        ReturnType<typeof s.gql<{ runs: { pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: { id: string; key: string }[] } }>>
      > = await s.gql(`query($after: String) { runs(first: 10, after: $after) { pageInfo { hasNextPage endCursor } nodes { id key } } }`, {
        after,
      });
      for (const n of r.data!.runs.nodes) idOf.set(n.key, n.id);
      after = r.data!.runs.pageInfo.hasNextPage ? r.data!.runs.pageInfo.endCursor : null;
    } while (after);
  });
  afterAll(() => s.close());

  it('pages through all runs with a Relay connection', () => {
    expect(idOf.size).toBe(24);
  });

  it('lists datasets with their manifest metadata, counts and ingest time', async () => {
    const r = await s.gql<{ datasets: Record<string, unknown>[]; topics: { name: string; promptCount: number; runCount: number }[] }>(
      `{ datasets { id name lab version description license promptSet judge visibility contentHash ingestedAt runCount observationCount }
         topics { name promptCount runCount } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.datasets).toHaveLength(1);
    const d = r.data!.datasets[0]!;
    expect(d).toMatchObject({
      name: 'conformance',
      lab: 'mila-demo',
      version: '1',
      license: 'CC-BY-4.0',
      promptSet: 'synthetic-v-prism',
      judge: 'synthetic',
      visibility: 'PUBLIC',
      runCount: 24,
      observationCount: 7452 + 324,
    });
    expect(d.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Math.abs(Date.parse(String(d.ingestedAt)) - Date.now())).toBeLessThan(10 * 60_000);
    expect(r.data!.topics.map((t) => t.name)).toEqual(['abortion', 'climate change', 'immigration']);
    expect(r.data!.topics.every((t) => t.runCount === 24)).toBe(true);
  });

  it('filters runs by algorithm and stage dataset, and reports stages in order', async () => {
    const r = await s.gql<{
      runs: {
        totalCount: number;
        nodes: {
          key: string;
          dataset: { name: string; lab: string };
          stages: { name: string; kind: string; algorithm: string | null; dataset: string | null; totalSteps: number | null }[];
        }[];
      };
    }>(
      `{ runs(first: 50, filter: { algorithm: "dpo", stageDataset: ["synth-support"] }) { totalCount nodes { key dataset { name lab } stages { name kind algorithm dataset totalSteps } } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.runs.totalCount).toBe(4);
    for (const n of r.data!.runs.nodes) {
      expect(n.key).toMatch(/\.dpo\.synth-support\./);
      expect(n.dataset).toEqual({ name: 'conformance', lab: 'mila-demo' });
      expect(n.stages.map((st) => st.kind)).toEqual(['BASE', 'SFT', 'PREFERENCE']);
      expect(n.stages[2]).toMatchObject({ algorithm: 'dpo', dataset: 'synth-support', totalSteps: 200 });
    }
  });

  it('serves every conformance value and 95% interval through trajectories', async () => {
    const r = await s.gql<{
      trajectories: {
        runKey: string;
        topic: string;
        stance: string;
        points: { stage: string; step: number; value: number; ciLow: number; ciHigh: number; n: number }[];
      }[];
    }>(`{ trajectories(runFilter: { dataset: "conformance" }) { runKey topic stance points { stage step value ciLow ciHigh n } } }`);
    expect(r.errors).toBeUndefined();
    const got = new Map<string, { value: number; ciLow: number; ciHigh: number; n: number }>();
    for (const t of r.data!.trajectories)
      for (const p of t.points) got.set(`${t.runKey}|${p.stage}|${p.step}|${t.topic}|${t.stance.toLowerCase()}`, p);
    let checked = 0;
    for (const v of expected.values) {
      for (const st of STANCES) {
        const p = got.get(`${v.run}|${v.stage}|${v.step}|${v.topic}|${st}`);
        expect(p).toBeDefined();
        expect(Math.abs(p!.value - v[st])).toBeLessThan(TOL);
        expect(Math.abs(p!.ciHigh - (v[st] + v[`${st}_half`]))).toBeLessThan(TOL);
        expect(Math.abs(p!.ciLow - (v[st] - v[`${st}_half`]))).toBeLessThan(TOL);
        expect(p!.n).toBe(v.n);
        checked++;
      }
    }
    expect(checked).toBe(expected.values.length * 3);
  });

  it('scales the interval with the confidence argument', async () => {
    const v = expected.values.find((x) => x.n >= 3)!;
    const r = await s.gql<{ trajectories: { points: { stage: string; step: number; value: number; ciHigh: number }[] }[] }>(
      `query($id: ID!, $topic: String!) { trajectories(runIds: [$id], topics: [$topic], stances: [SUPPORT], confidence: 0.8) { points { stage step value ciHigh } } }`,
      { id: idOf.get(v.run), topic: v.topic },
    );
    const p = r.data!.trajectories[0]!.points.find((x) => x.stage === v.stage && x.step === v.step)!;
    const scale = tQuantile(0.9, v.n - 1) / tQuantile(0.975, v.n - 1);
    expect(Math.abs(p.ciHigh - p.value - v.support_half * scale)).toBeLessThan(TOL);
  });

  it('returns every conformance drift row, for both endpoints', async () => {
    for (const endpoint of ['LAST', 'EXTREMUM'] as const) {
      const r = await s.gql<{
        driftMetrics: {
          runKey: string;
          topic: string;
          stance: string;
          stage: string;
          stageKind: string;
          magnitude: number;
          driftTime: number;
          startValue: number;
          endValue: number;
          extremumValue: number;
          extremumStep: number;
        }[];
      }>(
        `{ driftMetrics(runFilter: { dataset: "conformance" }, endpoint: ${endpoint}) { runKey topic stance stage stageKind magnitude driftTime startValue endValue extremumValue extremumStep } }`,
      );
      expect(r.errors).toBeUndefined();
      const got = new Map(r.data!.driftMetrics.map((d) => [`${d.runKey}|${d.topic}|${d.stance.toLowerCase()}|${d.stage}`, d]));
      expect(got.size).toBe(expected.drift.length);
      for (const e of expected.drift) {
        const d = got.get(`${e.run}|${e.topic}|${e.stance}|${e.stage}`)!;
        expect(Math.abs(d.magnitude - (endpoint === 'LAST' ? e.magnitude : e.magnitudeExtremum))).toBeLessThan(TOL);
        expect(Math.abs(d.driftTime - e.driftTime)).toBeLessThan(TOL);
        expect(Math.abs(d.startValue - e.startValue)).toBeLessThan(TOL);
        expect(Math.abs(d.endValue - e.endValue)).toBeLessThan(TOL);
        expect(Math.abs(d.extremumValue - e.extremumValue)).toBeLessThan(TOL);
        expect(d.extremumStep).toBe(e.extremumStep);
      }
    }
  });

  it('returns every conformance attribution row, with distribution shift over the three stances', async () => {
    const r = await s.gql<{
      stageAttribution: {
        runKey: string;
        topic: string;
        stance: string;
        totalDelta: number;
        stages: {
          stage: string;
          delta: number;
          netShare: number | null;
          pathLength: number;
          pathShare: number | null;
          distributionShift: number | null;
        }[];
      }[];
    }>(
      `{ stageAttribution(runFilter: { dataset: "conformance" }) { runKey topic stance totalDelta stages { stage delta netShare pathLength pathShare distributionShift } } }`,
    );
    expect(r.errors).toBeUndefined();
    const got = new Map(r.data!.stageAttribution.map((a) => [`${a.runKey}|${a.topic}|${a.stance.toLowerCase()}`, a]));
    expect(got.size).toBe(expected.attribution.length);
    for (const e of expected.attribution) {
      const a = got.get(`${e.run}|${e.topic}|${e.stance}`)!;
      expect(Math.abs(a.totalDelta - e.totalDelta)).toBeLessThan(TOL);
      e.stages.forEach((es, k) => {
        const g = a.stages[k]!;
        expect(g.stage).toBe(es.stage);
        expect(Math.abs(g.delta - es.delta)).toBeLessThan(TOL);
        expect(Math.abs(g.pathLength - es.pathLength)).toBeLessThan(TOL);
        for (const f of ['netShare', 'pathShare'] as const) {
          if (es[f] === null) expect(g[f]).toBeNull();
          else expect(Math.abs(g[f]! - es[f]!)).toBeLessThan(TOL);
        }
        // ½ Σ_s |Δ_{k,s}| from the fixture's own deltas
        const deltas = STANCES.map(
          (st) => expected.attribution.find((x) => x.run === e.run && x.topic === e.topic && x.stance === st)!.stages[k]!.delta,
        );
        expect(Math.abs(g.distributionShift! - deltas.reduce((acc, d) => acc + Math.abs(d), 0) / 2)).toBeLessThan(TOL);
      });
    }
  });

  it('downsamples deterministically and smooths before downsampling', async () => {
    const q = `query($id: ID!, $m: Int, $a: Float!) { trajectories(runIds: [$id], topics: ["abortion"], stances: [SUPPORT], maxPoints: $m, smoothing: { alpha: $a }) { points { step value } } }`;
    const id = idOf.get('llama-3-3b.wildchat.dpo.ultrafeedback.s0');
    const full = await s.gql<{ trajectories: { points: { value: number }[] }[] }>(q, { id, m: null, a: 1 });
    const a = await s.gql<{ trajectories: { points: { value: number }[] }[] }>(q, { id, m: 4, a: 1 });
    const b = await s.gql<{ trajectories: { points: { value: number }[] }[] }>(q, { id, m: 4, a: 1 });
    expect(a.data).toEqual(b.data);
    const pts = a.data!.trajectories[0]!.points;
    const all = full.data!.trajectories[0]!.points;
    expect(pts.length).toBeLessThanOrEqual(4);
    expect(pts[0]).toEqual(all[0]);
    expect(pts[pts.length - 1]).toEqual(all[all.length - 1]);
    const smoothed = await s.gql<{ trajectories: { points: { value: number }[] }[] }>(q, { id, m: null, a: 0.5 });
    const sv = smoothed.data!.trajectories[0]!.points.map((p) => p.value);
    const raw = all.map((p) => p.value);
    expect(sv[0]).toBeCloseTo(raw[0]!, 12);
    expect(sv[1]).toBeCloseTo(0.5 * raw[1]! + 0.5 * raw[0]!, 12);
  });

  it('compresses answers for clients that accept it, to the same JSON', async () => {
    const body = JSON.stringify({
      query: '{ trajectories(runFilter: { dataset: "conformance" }) { runId topic stance points { step value } } }',
    });
    const get = (encoding?: string) =>
      new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
        const req = http.request(
          `${s.url}/graphql`,
          { method: 'POST', headers: { 'content-type': 'application/json', ...(encoding ? { 'accept-encoding': encoding } : {}) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const plain = await get();
    expect(plain.encoding).toBeUndefined();
    const json = JSON.parse(plain.bytes.toString('utf8')) as { data: { trajectories: unknown[] } };
    expect(json.data.trajectories.length).toBeGreaterThan(0);
    const gz = await get('gzip');
    expect(gz.encoding).toBe('gzip');
    expect(gz.bytes.length).toBeLessThan(plain.bytes.length / 2);
    expect(zlib.gunzipSync(gz.bytes).toString('utf8')).toBe(plain.bytes.toString('utf8'));
    const br = await get('br');
    expect(br.encoding).toBe('br');
    expect(zlib.brotliDecompressSync(br.bytes).toString('utf8')).toBe(plain.bytes.toString('utf8'));
  });

  describe('errors', () => {
    it('unknown run -> NOT_FOUND naming it', async () => {
      const r = await s.gql(`{ run(id: "999999") { id } }`);
      expect(r.errors![0]!.extensions!.code).toBe('NOT_FOUND');
      expect(r.errors![0]!.message).toContain('999999');
      const t = await s.gql(`{ trajectories(runIds: ["nope"]) { runId } }`);
      expect(t.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    });

    it.each([0, 1, 1.5, -0.2])('confidence %p -> BAD_USER_INPUT', async (c) => {
      for (const q of ['trajectories', 'driftMetrics', 'stageAttribution']) {
        const r = await s.gql(`query($c: Float!) { ${q}(runFilter: { dataset: "conformance" }, confidence: $c) { runId } }`, { c });
        expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
        expect(r.errors![0]!.message).toMatch(/confidence must lie strictly between 0 and 1/);
      }
    });

    it('unknown topic -> BAD_USER_INPUT listing the known ones', async () => {
      const r = await s.gql(`{ driftMetrics(topics: ["astrology"]) { runId } }`);
      expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.message).toMatch(/unknown topic "astrology"; known topics: abortion, climate change, immigration/);
    });

    it('unknown filter values -> BAD_USER_INPUT with the nearest known value and the known ones', async () => {
      const cases: [string, RegExp, string][] = [
        [
          '{ driftMetrics(runFilter: { algorithm: ["DPO"] }) { runId } }',
          /^unknown algorithm "DPO" \(did you mean "dpo"\?\); known algorithms: .*\bdpo\b/,
          'runFilter.algorithm',
        ],
        ['{ runs(filter: { lab: ["nobody"] }) { totalCount } }', /^unknown lab "nobody"; known labs: /, 'filter.lab'],
        [
          '{ trajectories(runFilter: { dataset: ["conformanse"] }) { runId } }',
          /^unknown dataset "conformanse" \(did you mean "conformance"\?\)/,
          'runFilter.dataset',
        ],
        ['{ driftMetrics(topics: ["Abortion"]) { runId } }', /^unknown topic "Abortion" \(did you mean "abortion"\?\)/, 'topics'],
      ];
      for (const [query, message, argumentName] of cases) {
        const r = await s.gql(query);
        expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
        expect(r.errors![0]!.message).toMatch(message);
      }
      // Values that exist but select nothing together are not an error: an empty answer.
      const none = await s.gql<{ runs: { totalCount: number } }>(
        '{ runs(filter: { dataset: ["conformance"], algorithm: ["sft"], lab: ["mila-demo"] }) { totalCount } }',
      );
      expect(none.errors).toBeUndefined();
    });

    it('page size and maxPoints out of range -> BAD_USER_INPUT saying the bound', async () => {
      const r = await s.gql(`{ runs(first: 1000) { totalCount } }`);
      expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.message).toMatch(/first must be at most 200/);
      const m = await s.gql(`{ trajectories(runIds: ["1"], maxPoints: 1) { runId } }`);
      expect(m.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      expect(m.errors![0]!.message).toMatch(/maxPoints/);
    });

    it.each([
      ['topics: []', '{ driftMetrics(topics: []) { runId } }', /topics is an empty list/],
      ['stances: []', '{ trajectories(runIds: ["1"], stances: []) { runId } }', /stances is an empty list/],
      ['runIds: []', '{ stageAttribution(runIds: []) { runId } }', /runIds is an empty list/],
      [
        'filter lab: []',
        '{ runs(filter: { lab: [] }) { totalCount } }',
        /filter.lab is an empty list, which selects nothing; leave it out/,
      ],
      [
        'runFilter model: []',
        '{ groupedTrajectories(groupBy: [], runFilter: { model: [] }) { label } }',
        /runFilter.model is an empty list, which selects nothing; leave it out/,
      ],
    ])('an empty list (%s) -> BAD_USER_INPUT saying to leave it out', async (_name, query, message) => {
      const r = await s.gql(query);
      expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.message).toMatch(message);
    });

    it('a confidence that rounds (1 + γ)/2 to 1 -> BAD_USER_INPUT, not an infinite interval', async () => {
      const r = await s.gql(`{ trajectories(runIds: ["1"], confidence: 0.9999999999999999) { runId } }`);
      expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    });

    it('variables of the wrong type or missing -> BAD_USER_INPUT', async () => {
      const q = `query($n: Int!) { runs(first: $n) { totalCount } }`;
      for (const variables of [{ n: 'abc' }, {}]) {
        const r = await s.gql(q, variables);
        expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      }
      const e = await s.gql(`query($s: [Stance!]) { driftMetrics(stances: $s) { runId } }`, { s: ['FOO'] });
      expect(e.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    });

    it('a bad cursor -> BAD_USER_INPUT', async () => {
      const r = await s.gql(`{ runs(after: "garbage") { totalCount } }`);
      expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    });

    it('refuses queries nested deeper than the limit, following fragments', async () => {
      const schema = await createSchema(null);
      const ok = validate(schema, parse(`{ runs { nodes { stages { name } } } }`), [depthLimit(4)]);
      expect(ok).toEqual([]);
      const tooDeep = validate(schema, parse(`fragment F on Run { stages { name } } { runs { edges { node { ...F } } } }`), [
        depthLimit(4),
      ]);
      expect(tooDeep[0]!.message).toMatch(/nested 5 levels deep; the limit is 4/);
    });

    it('never sends stack traces or SQL', async () => {
      const r = await s.gql(`{ run(id: "999999") { id } }`);
      const text = JSON.stringify(r);
      expect(text).not.toMatch(/stacktrace|SELECT|at .*\.ts:/);
    });
  });

  describe('HTTP', () => {
    it('GET /healthz answers 200', async () => {
      const res = await fetch(`${s.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
    });

    it('GET /graphql from a browser serves GraphiQL with no external assets', async () => {
      const res = await fetch(`${s.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('driftql');
      expect(html).not.toMatch(/<script[^>]+src=["']https?:|<link[^>]+href=["']https?:/);
    });

    it('keeps CSRF prevention on: a simple GET query without a preflight header is refused', async () => {
      const res = await fetch(`${s.url}/graphql?query=${encodeURIComponent('{ datasets { name } }')}`);
      expect(res.status).toBe(400);
    });

    it('malformed JSON body -> 400 with a GraphQL-shaped error', async () => {
      const res = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
      expect(body.errors[0]!.message).toMatch(/not valid JSON/);
    });
  });
});
