/**
 * Private means private, tested as a matrix of callers × queries against the real server
 * process: two labs, each with a public and a private dataset. What each caller should see is
 * worked out here from the bundles this test writes, never from the code under test.
 */
import { tableFromIPC } from 'apache-arrow';
import path from 'node:path';
import { KeyService } from '../../src/auth/keys.service';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ingestBundle } from '../../src/ingest/ingest';
import { rng, smallBundle, writeBundle } from '../helpers/bundles';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { tempDir } from '../helpers/tmp';

interface DatasetSpec {
  lab: string;
  name: string;
  visibility: 'public' | 'private';
  runs: string[];
  topics: string[];
}

const DATASETS: DatasetSpec[] = [
  { lab: 'lab-a', name: 'a-pub', visibility: 'public', runs: ['a.pub.s0', 'a.pub.s1'], topics: ['immigration', 'gun control'] },
  { lab: 'lab-a', name: 'a-priv', visibility: 'private', runs: ['a.priv.s0', 'a.priv.s1'], topics: ['immigration', 'a-secret'] },
  { lab: 'lab-b', name: 'b-pub', visibility: 'public', runs: ['b.pub.s0', 'b.pub.s1'], topics: ['immigration', 'gun control'] },
  { lab: 'lab-b', name: 'b-priv', visibility: 'private', runs: ['b.priv.s0', 'b.priv.s1'], topics: ['immigration', 'b-secret'] },
];

/** smallManifest gives even runs a DPO preference stage and odd runs KTO. */
const algorithmOf = (run: string) => (run.endsWith('s0') ? 'dpo' : 'kto');

type Caller = 'anonymous' | 'aReader' | 'bWriter' | 'admin';
const CALLERS: Caller[] = ['anonymous', 'aReader', 'bWriter', 'admin'];

function visibleDatasets(caller: Caller): DatasetSpec[] {
  return DATASETS.filter(
    (d) =>
      d.visibility === 'public' ||
      caller === 'admin' ||
      (caller === 'aReader' && d.lab === 'lab-a') ||
      (caller === 'bWriter' && d.lab === 'lab-b'),
  );
}
const visibleRuns = (c: Caller) => visibleDatasets(c).flatMap((d) => d.runs);
const visibleTopics = (c: Caller) => [...new Set(visibleDatasets(c).flatMap((d) => d.topics))].sort();
const sorted = (xs: Iterable<string>) => [...xs].sort();

describe('visibility matrix: callers × queries over a real server process', () => {
  const dir = tempDir();
  let server: ServerProcess;
  const tokens: Partial<Record<Caller, string>> = {};
  let revoked = '';

  beforeAll(async () => {
    const dbFile = path.join(dir, 'shared.duckdb');
    const db = await DriftDb.open(dbFile);
    try {
      await migrate(db);
      for (const [i, d] of DATASETS.entries()) {
        const b = smallBundle({ lab: d.lab, name: d.name, runs: d.runs, topics: d.topics, seed: i + 1 });
        b.manifest.dataset.visibility = d.visibility;
        await ingestBundle(db, writeBundle(path.join(dir, d.name), b));
      }
      const keys = new KeyService(db);
      tokens.aReader = (await keys.create('lab-a', 'reader', 'alice')).key;
      tokens.bWriter = (await keys.create('lab-b', 'writer', 'bob')).key;
      tokens.admin = (await keys.create('operators', 'admin')).key;
      const gone = await keys.create('lab-a', 'reader');
      revoked = gone.key;
      await keys.revoke(gone.info.id);
    } finally {
      await db.close();
    }
    server = await startServerProcess({ DRIFT_DB: dbFile });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function gql<T>(caller: Caller | string, query: string, variables?: Record<string, unknown>) {
    const token = CALLERS.includes(caller as Caller) ? tokens[caller as Caller] : caller;
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    return { status: res.status, ...body };
  }

  it.each(CALLERS)('%s: datasets, runs, totalCount and topics list exactly what the caller may see', async (caller) => {
    const r = await gql<{
      datasets: { name: string }[];
      runs: { totalCount: number; nodes: { key: string }[] };
      topics: { name: string }[];
    }>(caller, '{ datasets { name } runs(first: 200) { totalCount nodes { key } } topics { name } }');
    expect(r.errors).toBeUndefined();
    expect(sorted(r.data!.datasets.map((d) => d.name))).toEqual(sorted(visibleDatasets(caller).map((d) => d.name)));
    expect(r.data!.runs.totalCount).toBe(visibleRuns(caller).length);
    expect(sorted(r.data!.runs.nodes.map((n) => n.key))).toEqual(sorted(visibleRuns(caller)));
    expect(r.data!.topics.map((t) => t.name)).toEqual(visibleTopics(caller));
  });

  it.each(CALLERS)('%s: every analytic query covers exactly the visible runs', async (caller) => {
    const r = await gql<{
      trajectories: { runKey: string }[];
      driftMetrics: { runKey: string }[];
      stageAttribution: { runKey: string }[];
      groupedTrajectories: { runKeys: string[]; labs: string[] }[];
      effectDecomposition: { n: number; cells: { count: number }[]; excludedRuns: { runKey: string }[] };
      attributionSummary: { levels: { level: string }[]; topic: string; runs: number }[];
    }>(
      caller,
      `{ attributionSummary(groupBy: [LAB], stances: [SUPPORT]) { levels { level } topic runs }
         trajectories(stances: [SUPPORT]) { runKey }
         driftMetrics(stances: [SUPPORT]) { runKey }
         stageAttribution(stances: [SUPPORT]) { runKey }
         groupedTrajectories(groupBy: [LAB], stances: [SUPPORT], gridPoints: 3) { runKeys labs }
         effectDecomposition(input: { outcome: DRIFT_MAGNITUDE, stance: SUPPORT, factors: [ALGORITHM], sumOfSquares: TYPE_I }) {
           n cells { count } excludedRuns { runKey } } }`,
    );
    expect(r.errors).toBeUndefined();
    const runs = sorted(visibleRuns(caller));
    const labs = sorted(new Set(visibleDatasets(caller).map((d) => d.lab)));
    expect(sorted(new Set(r.data!.trajectories.map((t) => t.runKey)))).toEqual(runs);
    expect(sorted(new Set(r.data!.driftMetrics.map((t) => t.runKey)))).toEqual(runs);
    expect(sorted(new Set(r.data!.stageAttribution.map((t) => t.runKey)))).toEqual(runs);
    expect(sorted(new Set(r.data!.groupedTrajectories.flatMap((g) => g.runKeys)))).toEqual(runs);
    expect(sorted(new Set(r.data!.groupedTrajectories.flatMap((g) => g.labs)))).toEqual(labs);
    expect(r.data!.effectDecomposition.n).toBe(runs.length);
    expect(r.data!.effectDecomposition.cells.reduce((a, c) => a + c.count, 0)).toBe(runs.length);
    expect(r.data!.effectDecomposition.excludedRuns).toEqual([]);
    const summary = r.data!.attributionSummary;
    expect(sorted(new Set(summary.map((g) => g.levels[0]!.level)))).toEqual(labs);
    expect(sorted(new Set(summary.map((g) => g.topic)))).toEqual(sorted(visibleTopics(caller)));
    for (const lab of labs) {
      const ofLab = visibleRuns(caller).filter((run) => visibleDatasets(caller).some((d) => d.lab === lab && d.runs.includes(run)));
      expect(Math.max(...summary.filter((g) => g.levels[0]!.level === lab).map((g) => g.runs))).toBeLessThanOrEqual(ofLab.length);
    }
  });

  it.each(CALLERS)('%s: every export table holds exactly the visible runs', async (caller) => {
    const token = tokens[caller];
    const runs = sorted(visibleRuns(caller));
    for (const table of ['observations', 'prompt-means', 'trajectories', 'drift-metrics', 'stage-attribution']) {
      const res = await fetch(`${server.url}/api/v1/export/${table}?format=csv`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      expect({ caller, table, status: res.status }).toEqual({ caller, table, status: 200 });
      const keys = (await res.text())
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',')[1]!);
      expect({ caller, table, runs: sorted(new Set(keys)) }).toEqual({ caller, table, runs });
      // Arrow too, down to its dictionaries: they hold the visible runs' keys and no others.
      const arrow = await fetch(`${server.url}/api/v1/export/${table}?format=arrow`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      const column = tableFromIPC(new Uint8Array(await arrow.arrayBuffer())).getChild('run_key')!;
      const dictionaries = column.data.flatMap((d) => (d.dictionary ? [...d.dictionary] : []) as string[]);
      expect({ caller, table, runs: sorted(new Set([...column].map(String))), dictionaries: sorted(new Set(dictionaries)) }).toEqual({
        caller,
        table,
        runs,
        dictionaries: runs,
      });
    }
    // Another lab's private topic is as unknown to an export as a topic never seen.
    const hidden = await fetch(`${server.url}/api/v1/export/observations?topics=b-secret`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!visibleTopics(caller).includes('b-secret')) {
      expect(hidden.status).toBe(400);
      expect(((await hidden.json()) as { error: { message: string } }).error.message.split('; known')[1]).not.toMatch(/b-secret/);
    } else expect(hidden.status).toBe(200);
  });

  it('a private run of another lab is as unknown as an id never issued', async () => {
    const all = await gql<{ runs: { nodes: { id: string; key: string }[] } }>('admin', '{ runs(first: 200) { nodes { id key } } }');
    const privateB = all.data!.runs.nodes.find((n) => n.key === 'b.priv.s0')!.id;
    const never = '999999';
    for (const caller of ['anonymous', 'aReader'] as Caller[]) {
      const hidden = await gql(caller, `{ run(id: "${privateB}") { key } }`);
      const missing = await gql(caller, `{ run(id: "${never}") { key } }`);
      expect(hidden.errors![0]!.extensions!.code).toBe('NOT_FOUND');
      expect(hidden.errors![0]!.message.replace(privateB, 'X')).toBe(missing.errors![0]!.message.replace(never, 'X'));
      const byKey = await gql(caller, `{ driftMetrics(runIds: ["b.priv.s0"]) { runKey } }`);
      const byNoKey = await gql(caller, `{ driftMetrics(runIds: ["no.such.run"]) { runKey } }`);
      expect(byKey.errors![0]!.extensions!.code).toBe('NOT_FOUND');
      expect(byKey.errors![0]!.message.replace('b.priv.s0', 'X')).toBe(byNoKey.errors![0]!.message.replace('no.such.run', 'X'));
    }
    const own = await gql<{ run: { key: string } }>('bWriter', `{ run(id: "${privateB}") { key } }`);
    expect(own.data!.run.key).toBe('b.priv.s0');
  });

  it('a private topic of another lab is as unknown as a topic never seen, and is never listed as known', async () => {
    const hidden = await gql('aReader', '{ driftMetrics(topics: ["b-secret"]) { runKey } }');
    const never = await gql('aReader', '{ driftMetrics(topics: ["astrology"]) { runKey } }');
    expect(hidden.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    // The same message but for the name asked about (and a "did you mean" drawn from that name's
    // spelling, among the visible topics only).
    const plain = (m: string, name: string) => m.replace(name, 'X').replace(/ \(did you mean "[^"]*"\?\)/, '');
    expect(plain(hidden.errors![0]!.message, 'b-secret')).toBe(plain(never.errors![0]!.message, 'astrology'));
    expect(hidden.errors![0]!.message.split(';')[1]).not.toMatch(/b-secret/);
    expect(never.errors![0]!.message).not.toMatch(/b-secret/);
    expect(never.errors![0]!.message).toMatch(/a-secret/);
  });

  it('randomised filters never reveal another lab’s private runs', async () => {
    const rand = rng(20261127);
    const pick = <T>(xs: readonly T[]) => xs.filter(() => rand() < 0.4);
    const fields = {
      lab: ['lab-a', 'lab-b'],
      dataset: DATASETS.map((d) => d.name),
      algorithm: ['dpo', 'kto', 'sft'],
      key: DATASETS.flatMap((d) => d.runs),
    };
    let refused = 0;
    let answered = 0;
    for (let i = 0; i < 25; i++) {
      const filter: Record<string, string[]> = {};
      for (const [field, values] of Object.entries(fields)) {
        const chosen = pick(values);
        if (chosen.length) filter[field] = chosen;
      }
      const matches = (d: DatasetSpec, run: string) =>
        (!filter.lab || filter.lab.includes(d.lab)) &&
        (!filter.dataset || filter.dataset.includes(d.name)) &&
        (!filter.algorithm || filter.algorithm.includes(algorithmOf(run)) || filter.algorithm.includes('sft')) &&
        (!filter.key || filter.key.includes(run));
      for (const caller of CALLERS) {
        const visible = visibleDatasets(caller);
        const expected = sorted(visible.flatMap((d) => d.runs.filter((run) => matches(d, run))));
        const r = await gql<{ runs: { totalCount: number; nodes: { key: string }[] }; driftMetrics: { runKey: string }[] }>(
          caller,
          `query ($f: RunFilter) { runs(first: 200, filter: $f) { totalCount nodes { key } } driftMetrics(runFilter: $f, stances: [SUPPORT]) { runKey } }`,
          { f: filter },
        );
        // A value the caller's data does not have (a private lab's, or none at all) is refused
        // alike, naming only values the caller can see.
        const known: Record<string, Set<string>> = {
          lab: new Set(visible.map((d) => d.lab)),
          dataset: new Set(visible.map((d) => d.name)),
          algorithm: new Set<string>([...visible.flatMap((d) => d.runs.map(algorithmOf)), ...(visible.length ? ['sft'] : [])]),
          key: new Set(visible.flatMap((d) => d.runs)),
        };
        const unknown = Object.entries(filter).find(([field, values]) => values.some((v) => !known[field]!.has(v)));
        if (unknown) {
          expect({ caller, filter, code: r.errors?.[0]?.extensions?.code }).toEqual({ caller, filter, code: 'BAD_USER_INPUT' });
          const hidden = DATASETS.filter((d) => !visible.includes(d));
          for (const d of hidden) {
            for (const secret of [d.name, ...d.runs]) expect(r.errors![0]!.message.split('; known')[1] ?? '').not.toContain(secret);
          }
          refused++;
          continue;
        }
        answered++;
        expect({ caller, filter, errors: r.errors }).toEqual({ caller, filter, errors: undefined });
        expect({ caller, filter, runs: r.data!.runs.totalCount }).toEqual({ caller, filter, runs: expected.length });
        expect(sorted(r.data!.runs.nodes.map((n) => n.key))).toEqual(expected);
        expect(sorted(new Set(r.data!.driftMetrics.map((d) => d.runKey)))).toEqual(expected);
      }
    }
    // Both kinds of case came up.
    expect(refused).toBeGreaterThan(10);
    expect(answered).toBeGreaterThan(10);
  });

  it('refuses malformed, unknown and revoked keys with UNAUTHENTICATED and HTTP 401, saying how to get a key', async () => {
    for (const token of [revoked, 'dql_' + 'x'.repeat(43), 'not-a-key']) {
      const r = await gql(token, '{ datasets { name } }');
      expect(r.status).toBe(401);
      expect(r.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
      expect(r.errors![0]!.message).toMatch(/driftql keys create/);
      expect(r.data).toBeUndefined();
    }
  });

  it('key management needs an admin key: others get FORBIDDEN', async () => {
    for (const caller of ['anonymous', 'aReader', 'bWriter'] as Caller[]) {
      const r = await gql(caller, 'mutation { createApiKey(lab: "lab-a", role: ADMIN) { key } }');
      expect(r.errors![0]!.extensions!.code).toBe('FORBIDDEN');
      const list = await gql(caller, '{ apiKeys { id } }');
      expect(list.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    }
    const created = await gql<{ createApiKey: { key: string; apiKey: { id: string; lab: string; role: string; prefix: string } } }>(
      'admin',
      'mutation { createApiKey(lab: "lab-b", role: READER, name: "carol") { key apiKey { id lab role prefix } } }',
    );
    expect(created.errors).toBeUndefined();
    const { key, apiKey } = created.data!.createApiKey;
    expect(key.startsWith(apiKey.prefix)).toBe(true);
    expect(apiKey).toMatchObject({ lab: 'lab-b', role: 'READER' });
    const seen = await gql<{ datasets: { name: string }[] }>(key, '{ datasets { name } }');
    expect(sorted(seen.data!.datasets.map((d) => d.name))).toEqual(['a-pub', 'b-priv', 'b-pub']);
    await gql('admin', `mutation { revokeApiKey(id: "${apiKey.id}") { revokedAt } }`);
    const after = await gql(key, '{ datasets { name } }');
    expect(after.status).toBe(401);
    // The listing never holds a key in clear.
    const listed = await gql<{ apiKeys: { prefix: string }[] }>('admin', '{ apiKeys { prefix } }');
    expect(JSON.stringify(listed)).not.toContain(key);
  });
});
