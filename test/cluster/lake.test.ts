/**
 * The lake's life cycle against a real PostgreSQL: an ingest publishes one Parquet file per fact
 * table; a refused bundle leaves nothing; the sweep removes temporary and unlisted files but
 * never a published one; files of a deleted version stay for the grace period, then go.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ClusterStorage } from '../../src/db/cluster';
import { BundleError } from '../../src/ingest/errors';
import { eventually } from '../helpers/cluster';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { CONFORMANCE } from '../helpers/server';
import { tempDir } from '../helpers/tmp';
import { brokenBundle, validBundle } from '../upload/bundles';

const dir = tempDir('driftql-lake-');
const lake = path.join(dir, 'lake');
let pg: TestPostgres;
let storage: ClusterStorage;

beforeAll(async () => {
  pg = startPostgres();
  storage = await ClusterStorage.open({ catalogUrl: pg.url, lake, pollMs: 200, maintenanceMs: 200, retireGraceMs: 1500 });
});
afterAll(async () => {
  await storage?.close();
  pg?.stop();
});

/** Every file under the lake, relative, with its size and modification time. */
function files(): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(lake, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = path.join(e.parentPath, e.name);
    const st = fs.statSync(abs);
    out.set(path.relative(lake, abs), `${st.size}:${st.mtimeMs}`);
  }
  return out;
}

it('publishes one Parquet file per fact table, holding exactly the ingested facts', async () => {
  const r = await storage.ingest(CONFORMANCE);
  expect(r.status).toBe('ingested');
  const published = [...files().keys()].sort();
  expect(published.map((f) => f.replace(/d1-[0-9a-f-]+/, 'd1-*'))).toEqual([
    'checkpoint_values/d1-*.parquet',
    'observations/d1-*.parquet',
    'prompt_means/d1-*.parquet',
  ]);
  const [obs] = await storage.db.query(`SELECT count(*) AS n FROM read_parquet('${path.join(lake, published[1]!)}')`);
  expect(Number(obs!.n)).toBe(7776);
});

it('a refused bundle writes nothing to the lake', async () => {
  const before = files();
  await expect(storage.ingest(brokenBundle(path.join(dir, 'broken'), { lab: 'lab-x' }))).rejects.toBeInstanceOf(BundleError);
  expect(files()).toEqual(before);
});

it('the sweep removes temporary and unlisted files and leaves published ones alone', async () => {
  const published = files();
  fs.writeFileSync(path.join(lake, '.tmp', 'left-by-a-crash.parquet'), 'x');
  fs.writeFileSync(path.join(lake, 'observations', 'd99-never-published.parquet'), 'x');
  await eventually(async () => (files().size === published.size ? true : undefined), 5000, 'the sweep');
  expect(files()).toEqual(published);
});

it('files of a deleted version stay for the grace period, then the sweep removes them', async () => {
  const published = files();
  const deletedAt = Date.now();
  await storage.deleteDataset(1);
  expect(files()).toEqual(published);
  await eventually(async () => (files().size === 0 ? true : undefined), 10_000, 'the retired files to go');
  expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(1500);
  const [n] = await storage.db.query('SELECT count(*) AS n FROM observations');
  expect(Number(n!.n)).toBe(0);
});

it('a replace keeps the run ids, publishes the new files and retires the old ones', async () => {
  const first = await storage.ingest(validBundle(path.join(dir, 'v1'), { lab: 'lab-r', name: 'r', version: '1', seed: 1 }));
  const ids = async () => (await storage.db.query('SELECT key, id FROM runs ORDER BY key')).map((r) => `${r.key}=${r.id}`);
  const sum = async () => Number((await storage.db.query('SELECT sum(p_support) AS s FROM observations'))[0]!.s);
  const before = { ids: await ids(), sum: await sum(), files: [...files().keys()] };
  expect(before.files).toHaveLength(3);
  await expect(storage.ingest(validBundle(path.join(dir, 'v1b'), { lab: 'lab-r', name: 'r', version: '1', seed: 2 }))).rejects.toThrow(
    /already loaded with different content/,
  );
  const second = await storage.ingest(validBundle(path.join(dir, 'v1c'), { lab: 'lab-r', name: 'r', version: '1', seed: 2 }), {
    replace: true,
  });
  expect(second.status).toBe('replaced');
  expect(second.datasetId).not.toBe(first.datasetId);
  expect(await ids()).toEqual(before.ids);
  expect(await sum()).not.toBeCloseTo(before.sum, 6);
  // The old files stay (retired) for the grace period beside the new ones.
  const now = [...files().keys()];
  expect(now).toHaveLength(6);
  expect(now).toEqual(expect.arrayContaining(before.files));
});
