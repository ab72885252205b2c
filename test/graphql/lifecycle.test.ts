/**
 * Dataset lifecycle: analytics read the latest version of each lab's dataset unless asked for
 * others, a replace keeps the ids of runs whose keys it keeps, and deleting or hiding a dataset
 * takes it out of every answer at once, for the callers allowed to do it.
 */
import path from 'node:path';
import { KeyService } from '../../src/auth/keys.service';
import { ingestBundle } from '../../src/ingest/ingest';
import { smallBundle, writeBundle } from '../helpers/bundles';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

describe('dataset versions, replace and delete', () => {
  const dir = tempDir();
  let s: TestServer;
  const keys: Record<'writerA' | 'readerA' | 'writerB', string> = { writerA: '', readerA: '', writerB: '' };

  const bundle = (name: string, o: Parameters<typeof smallBundle>[0]) => writeBundle(path.join(dir, name), smallBundle(o));
  const v1 = () => bundle('v1', { lab: 'lab-a', name: 'drift', version: '1', runs: ['r.s0', 'r.s1'], seed: 1 });
  const v2 = () => bundle('v2', { lab: 'lab-a', name: 'drift', version: '2', runs: ['r.s0', 'r.s1'], seed: 2 });

  beforeAll(async () => {
    s = await startServer(path.join(dir, 'life.duckdb'), [v1(), v2()]);
    const k = new KeyService(s.db);
    keys.writerA = (await k.create('lab-a', 'writer')).key;
    keys.readerA = (await k.create('lab-a', 'reader')).key;
    keys.writerB = (await k.create('lab-b', 'writer')).key;
  });
  afterAll(() => s.close());

  async function as<T>(who: keyof typeof keys | null, query: string, variables?: Record<string, unknown>) {
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(who ? { authorization: `Bearer ${keys[who]}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  }

  type RunsAnswer = { runs: { totalCount: number; nodes: { id: string; key: string; dataset: { version: string; latest: boolean } }[] } };
  const RUNS = `query ($f: RunFilter) { runs(filter: $f) { totalCount nodes { id key dataset { version latest } } } }`;

  it('reads the latest version unless a filter names versions or asks for all of them', async () => {
    const latest = await as<RunsAnswer>(null, RUNS);
    expect(latest.data!.runs.nodes.map((n) => [n.key, n.dataset.version, n.dataset.latest])).toEqual([
      ['r.s0', '2', true],
      ['r.s1', '2', true],
    ]);
    const all = await as<RunsAnswer>(null, RUNS, { f: { versions: 'ALL' } });
    expect(all.data!.runs.totalCount).toBe(4);
    const first = await as<RunsAnswer>(null, RUNS, { f: { datasetVersion: ['1'] } });
    expect(first.data!.runs.nodes.map((n) => [n.dataset.version, n.dataset.latest])).toEqual([
      ['1', false],
      ['1', false],
    ]);
    // Analytics too: every run once, from version 2; a run key names the latest version's run.
    const drift = await as<{ driftMetrics: { runId: string }[] }>(
      null,
      '{ driftMetrics(stances: [SUPPORT], topics: ["immigration"]) { runId } }',
    );
    const latestIds = new Set(latest.data!.runs.nodes.map((n) => n.id));
    expect(new Set(drift.data!.driftMetrics.map((d) => d.runId))).toEqual(latestIds);
    const byKey = await as<{ run: { id: string } }>(null, '{ run(id: "r.s0") { id } }');
    expect(latestIds.has(byKey.data!.run.id)).toBe(true);
    const datasets = await as<{ datasets: { version: string; latest: boolean }[] }>(null, '{ datasets { version latest } }');
    expect(datasets.data!.datasets).toEqual([
      { version: '1', latest: false },
      { version: '2', latest: true },
    ]);
  });

  it('orders versions numerically: 10 is newer than 9', async () => {
    await ingestBundle(s.db, bundle('n9', { lab: 'lab-n', name: 'num', version: '9', runs: ['n.s0'] }));
    await ingestBundle(s.db, bundle('n10', { lab: 'lab-n', name: 'num', version: '10', runs: ['n.s0'] }));
    const r = await as<RunsAnswer>(null, RUNS, { f: { lab: ['lab-n'] } });
    expect(r.data!.runs.nodes.map((n) => n.dataset.version)).toEqual(['10']);
  });

  it('a replace keeps the ids of runs whose keys it keeps', async () => {
    const before = await as<RunsAnswer>(null, RUNS, { f: { datasetVersion: ['2'] } });
    const idOf = (a: RunsAnswer, key: string) => a.runs.nodes.find((n) => n.key === key)?.id;
    const replacement = bundle('v2b', { lab: 'lab-a', name: 'drift', version: '2', runs: ['r.s0', 'r.s2'], seed: 5 });
    const result = await ingestBundle(s.db, replacement, { replace: true });
    expect(result.status).toBe('replaced');
    const after = await as<RunsAnswer>(null, RUNS, { f: { datasetVersion: ['2'] } });
    expect(idOf(after.data!, 'r.s0')).toBe(idOf(before.data!, 'r.s0'));
    expect(idOf(after.data!, 'r.s1')).toBeUndefined();
    const known = new Set(
      [...before.data!.runs.nodes, ...(await as<RunsAnswer>(null, RUNS, { f: { versions: 'ALL' } })).data!.runs.nodes].map((n) => n.id),
    );
    expect(idOf(after.data!, 'r.s2')).toBeDefined();
    expect([...known].filter((id) => id === idOf(after.data!, 'r.s2'))).toEqual([idOf(after.data!, 'r.s2')]);
  });

  it('only a writer of the lab (or an admin) deletes or hides a dataset; others get FORBIDDEN or NOT_FOUND', async () => {
    const list = await as<{ datasets: { id: string; name: string; version: string }[] }>(null, '{ datasets { id name version } }');
    const v2id = list.data!.datasets.find((d) => d.name === 'drift' && d.version === '2')!.id;
    for (const who of [null, 'readerA', 'writerB'] as const) {
      const r = await as(who, `mutation { deleteDataset(id: "${v2id}") { id } }`);
      expect(r.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    }
    // Made private, it no longer exists for lab B: deleting it is NOT_FOUND, as for an id never issued.
    const hidden = await as<{ setDatasetVisibility: { visibility: string } }>(
      'writerA',
      `mutation { setDatasetVisibility(id: "${v2id}", visibility: PRIVATE) { visibility } }`,
    );
    expect(hidden.data!.setDatasetVisibility.visibility).toBe('PRIVATE');
    const forB = await as('writerB', `mutation { deleteDataset(id: "${v2id}") { id } }`);
    const never = await as('writerB', `mutation { deleteDataset(id: "99999") { id } }`);
    expect(forB.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(forB.errors![0]!.message.replace(v2id, 'X')).toBe(never.errors![0]!.message.replace('99999', 'X'));
    // For anonymous callers the public version 1 is now the latest they see.
    const anon = await as<RunsAnswer>(null, RUNS, { f: { dataset: ['drift'] } });
    expect(anon.data!.runs.nodes.map((n) => [n.dataset.version, n.dataset.latest])).toEqual([
      ['1', true],
      ['1', true],
    ]);
  });

  it('a delete removes the version from every answer at once, cached ones included', async () => {
    const drift = () =>
      as<{ driftMetrics: { runKey: string }[] }>(
        'writerA',
        '{ driftMetrics(stances: [SUPPORT], runFilter: { dataset: ["drift"] }) { runKey } }',
      );
    const before = await drift();
    expect(new Set(before.data!.driftMetrics.map((d) => d.runKey))).toEqual(new Set(['r.s0', 'r.s2']));
    const list = await as<{ datasets: { id: string; name: string; version: string }[] }>('writerA', '{ datasets { id name version } }');
    const v2id = list.data!.datasets.find((d) => d.name === 'drift' && d.version === '2')!.id;
    const deleted = await as<{ deleteDataset: { version: string } }>('writerA', `mutation { deleteDataset(id: "${v2id}") { version } }`);
    expect(deleted.data!.deleteDataset.version).toBe('2');
    const after = await drift();
    expect(new Set(after.data!.driftMetrics.map((d) => d.runKey))).toEqual(new Set(['r.s0', 'r.s1']));
    const rows = await s.db.query(`SELECT (SELECT count(*) FROM runs WHERE dataset_id = ${v2id}) AS runs,
      (SELECT count(*) FROM prompts WHERE dataset_id = ${v2id}) AS prompts,
      (SELECT count(*) FROM observations o WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = o.run_id)) AS orphans,
      (SELECT count(*) FROM checkpoint_values c WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = c.run_id)) AS orphan_values`);
    expect(rows[0]).toEqual({ runs: 0, prompts: 0, orphans: 0, orphan_values: 0 });
  });
});
