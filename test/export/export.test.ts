/**
 * GET /api/v1/export/<table> on a real server over the conformance bundle: every export equals
 * the GraphQL answer for the same arguments, row for row; raw tables hold exactly the bundle's
 * rows for the selection; refusals carry GraphQL's code and message; CSV is compressed on request.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { DataType, tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { CONFORMANCE, startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();
let s: TestServer;

beforeAll(async () => {
  s = await startServer(path.join(dir, 'export.duckdb'));
});
afterAll(async () => {
  await s?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => fetch(`${s.url}/api/v1/export/${url}`, { headers });

async function csvRows(url: string): Promise<Record<string, string>[]> {
  const res = await get(url);
  expect(res.status).toBe(200);
  return parse(await res.text(), { columns: true }) as Record<string, string>[];
}

/** Rows of a Parquet export, read back by DuckDB. */
async function parquetRows(url: string): Promise<Record<string, unknown>[]> {
  const res = await get(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.parquet`);
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

/** Rows of an Arrow IPC stream export, read by apache-arrow (values as JavaScript numbers and strings). */
async function arrowExport(url: string) {
  const res = await get(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
  const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  const rows = table.toArray().map((r: { toJSON(): Record<string, unknown> }) => {
    const o = r.toJSON();
    for (const [k, v] of Object.entries(o)) if (typeof v === 'bigint') o[k] = Number(v);
    return o;
  });
  return { table, rows };
}

const num = (v: string) => (v === '' ? null : Number(v));

it('drift-metrics: the GraphQL answer for the same arguments, with the run’s attributes on every row', async () => {
  const args = 'algorithm=dpo&topics=abortion&topics=immigration&stances=SUPPORT&endpoint=EXTREMUM';
  const rows = await csvRows(`drift-metrics?format=csv&${args}`);
  const g = await s.gql<{
    driftMetrics: Record<string, unknown>[];
    runs: { nodes: { id: string; model: string; dataset: { lab: string } }[] };
  }>(
    `{ driftMetrics(runFilter: { algorithm: ["dpo"] }, topics: ["abortion", "immigration"], stances: [SUPPORT], endpoint: EXTREMUM) {
         runId runKey topic stance stage stageKind magnitude driftTime startValue endValue extremumValue extremumStep }
       runs(first: 200, filter: { algorithm: ["dpo"] }) { nodes { id model dataset { lab } } } }`,
  );
  expect(g.errors).toBeUndefined();
  const answer = g.data!.driftMetrics;
  expect(rows.length).toBe(answer.length);
  expect(rows.length).toBeGreaterThan(0);
  const runs = new Map(g.data!.runs.nodes.map((r) => [r.id, r]));
  rows.forEach((r, i) => {
    const a = answer[i]!;
    expect([r.run_id, r.run_key, r.topic, r.stance, r.stage, r.stage_kind]).toEqual([
      a.runId,
      a.runKey,
      a.topic,
      a.stance,
      a.stage,
      a.stageKind,
    ]);
    expect([
      num(r.magnitude!),
      num(r.drift_time!),
      num(r.start_value!),
      num(r.end_value!),
      num(r.extremum_value!),
      num(r.extremum_step!),
    ]).toEqual([a.magnitude, a.driftTime, a.startValue, a.endValue, a.extremumValue, a.extremumStep]);
    expect([r.model, r.lab, r.preference_algorithm]).toEqual([
      runs.get(a.runId as string)!.model,
      runs.get(a.runId as string)!.dataset.lab,
      'dpo',
    ]);
    expect(r.stage_algorithms!.split(',')).toContain('dpo');
  });
});

it('trajectories and stage-attribution as Parquet: one row per point and per stage, equal to GraphQL', async () => {
  const traj = await parquetRows('trajectories?runIds=1&runIds=2&topics=abortion&maxPoints=4');
  const g = await s.gql<{
    trajectories: { runId: string; stance: string; points: { stage: string; step: number; value: number; ciLow: number; n: number }[] }[];
  }>('{ trajectories(runIds: ["1", "2"], topics: ["abortion"], maxPoints: 4) { runId stance points { stage step value ciLow n } } }');
  const points = g.data!.trajectories.flatMap((t) => t.points.map((p) => ({ run_id: t.runId, stance: t.stance, ...p })));
  expect(traj.map((r) => [r.run_id, r.stance, r.stage, Number(r.step), r.value, r.ci_low, r.n])).toEqual(
    points.map((p) => [p.run_id, p.stance, p.stage, p.step, p.value, p.ciLow, p.n]),
  );

  const attr = await parquetRows('stage-attribution?lab=mila-demo&confidence=0.9');
  const a = await s.gql<{
    stageAttribution: {
      runId: string;
      totalDelta: number;
      stages: { stage: string; netShare: number | null; distributionShift: number | null }[];
    }[];
  }>(
    '{ stageAttribution(runFilter: { lab: ["mila-demo"] }, confidence: 0.9) { runId totalDelta stages { stage netShare distributionShift } } }',
  );
  const expected = a.data!.stageAttribution.flatMap((x) =>
    x.stages.map((st) => [x.runId, x.totalDelta, st.stage, st.netShare, st.distributionShift]),
  );
  expect(attr.map((r) => [r.run_id, r.total_delta, r.stage, r.net_share, r.distribution_shift])).toEqual(expected);
});

it('observations: exactly the bundle’s rows for the selection', async () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, 'manifest.json'), 'utf8')) as { runs: { id: string }[] };
  // A run whose observations are all in observations.csv (the other file holds hard labels).
  const labelled = fs.readFileSync(path.join(CONFORMANCE, 'observations-labels.csv'), 'utf8');
  const run = manifest.runs.map((r) => r.id).find((id) => !labelled.includes(id))!;
  const csv = parse(fs.readFileSync(path.join(CONFORMANCE, 'observations.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const want = csv.filter((r) => r.run_id === run && r.topic === 'abortion');
  expect(want.length).toBeGreaterThan(0);
  const rows = await csvRows(`observations?format=csv&key=${encodeURIComponent(run)}&topics=abortion`);
  expect(rows.length).toBe(want.length);
  const key = (r: Record<string, string>) => [r.stage, Number(r.step), r.prompt ?? r.prompt_id, Number(r.p_support)].join('|');
  expect(rows.map(key).sort()).toEqual(want.map(key).sort());
  expect(new Set(rows.map((r) => r.run_key))).toEqual(new Set([run]));
});

it('Arrow IPC: the same rows as Parquet, strings dictionary-encoded, and a schema even when no row matches', async () => {
  const plain = (r: Record<string, unknown>) => JSON.stringify(Object.values(r).map((v) => (typeof v === 'bigint' ? Number(v) : v)));
  for (const url of [
    'trajectories?runIds=1&runIds=2&topics=abortion&maxPoints=4',
    'stage-attribution?lab=mila-demo&confidence=0.9',
    'drift-metrics?algorithm=dpo&endpoint=EXTREMUM',
    'prompt-means?lab=mila-demo&topics=abortion',
  ]) {
    const [{ table, rows }, pq] = await Promise.all([arrowExport(`${url}&format=arrow`), parquetRows(url)]);
    expect(rows.length).toBeGreaterThan(0);
    expect(table.schema.fields.map((f) => f.name)).toEqual(Object.keys(pq[0]!));
    // The analytic tables come in the GraphQL answer's order in both formats; raw tables in no fixed order.
    if (url.startsWith('prompt-means')) expect(rows.map(plain).sort()).toEqual(pq.map(plain).sort());
    else expect(rows.map(plain)).toEqual(pq.map(plain));
    for (const name of ['run_key', 'lab', 'topic', 'stage']) {
      expect(DataType.isDictionary(table.schema.fields.find((f) => f.name === name)!.type)).toBe(true);
    }
  }
  const empty = await arrowExport(
    `drift-metrics?format=arrow&key=${encodeURIComponent('llama-3-3b.wildchat.ppo.ultrafeedback.s0')}&algorithm=dpo`,
  );
  expect(empty.rows).toEqual([]);
  expect(empty.table.schema.fields.map((f) => f.name)).toContain('magnitude');
  const res = await get('observations?format=arrow&lab=mila-demo&topics=abortion');
  expect(res.headers.get('content-disposition')).toBe('attachment; filename="observations.arrows"');
});

it('concurrent exports each carry their own runs’ attributes (the run list lives per connection)', async () => {
  const picks = [['1', '2'], ['3'], ['4', '5', '6'], ['7']];
  const exports = await Promise.all(picks.map((ids) => parquetRows(`stage-attribution?${ids.map((id) => `runIds=${id}`).join('&')}`)));
  const runs = await s.gql<{ runs: { nodes: { id: string; key: string }[] } }>('{ runs(first: 200) { nodes { id key } } }');
  const keyOf = new Map(runs.data!.runs.nodes.map((n) => [n.id, n.key]));
  exports.forEach((rows, i) => {
    expect(rows.length).toBeGreaterThan(0);
    expect([...new Set(rows.map((r) => r.run_id))].sort()).toEqual([...picks[i]!].sort());
    for (const r of rows) expect(r.run_key).toBe(keyOf.get(String(r.run_id)));
  });
});

it('refuses what GraphQL refuses, with the same code and message, as HTTP 400', async () => {
  for (const [url, query] of [
    ['drift-metrics?confidence=2', '{ driftMetrics(confidence: 2) { runId } }'],
    ['trajectories?algorithm=DPO', '{ trajectories(runFilter: { algorithm: ["DPO"] }) { runId } }'],
    ['stage-attribution?topics=astrology', '{ stageAttribution(topics: ["astrology"]) { runId } }'],
  ] as const) {
    const res = await get(url);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    const g = await s.gql(query);
    expect(body.error).toEqual({ code: g.errors![0]!.extensions!.code, message: g.errors![0]!.message });
  }
  for (const [url, message] of [
    ['nope', /unknown table "nope"/],
    ['observations?stances=SUPPORT', /unknown parameter "stances" for observations/],
    ['drift-metrics?format=xlsx', /format must be one of parquet, arrow, csv/],
    ['trajectories?maxPoints=abc', /maxPoints/],
  ] as const) {
    const res = await get(url);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
  }
});

it('names the file, and compresses CSV for clients that accept it', async () => {
  const res = await get('stage-attribution?format=csv');
  expect(res.headers.get('content-disposition')).toBe('attachment; filename="stage-attribution.csv"');
  const plain = await res.text();
  const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
    http
      .get(`${s.url}/api/v1/export/stage-attribution?format=csv`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
  expect(raw.encoding).toBe('gzip');
  expect(zlib.gunzipSync(raw.body).toString('utf8')).toBe(plain);
});
