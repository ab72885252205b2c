/**
 * Cluster mode under failure, with real processes: a replica killed (SIGKILL) in the middle of
 * an ingest publishes nothing, the other keeps serving, the job ends failed and a new push
 * succeeds; PostgreSQL restarted under load makes requests fail with SERVICE_UNAVAILABLE (never
 * a crash or another error) and the replicas recover by themselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ORPHANED } from '../../src/upload/jobs';
import { eventually, startCluster, type TestCluster } from '../helpers/cluster';
import { tempDir } from '../helpers/tmp';
import { tarGzOf } from '../upload/archive';
import { validBundle } from '../upload/bundles';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read loosely and checked with expect */
const dir = tempDir('driftql-cluster-fail-');
let cluster: TestCluster;
const keys: Record<string, string> = {};

beforeAll(async () => {
  cluster = await startCluster(dir, 2);
  keys.writer = cluster.key('lab-k', 'writer');
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

const auth = (who?: string): Record<string, string> => (who ? { authorization: `Bearer ${keys[who]}` } : {});

async function gql(url: string, query: string, who?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(who) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: await res.json() };
}

/** Pushes a bundle folder, or an archive made beforehand (so that packing does not run during a load). */
async function push(url: string, bundleDir: string, name: string): Promise<string> {
  const file = bundleDir.endsWith('.tar.gz') ? bundleDir : await tarGzOf(bundleDir, path.join(dir, `${name}.tar.gz`));
  const res = await fetch(`${url}/api/v1/bundles`, {
    method: 'POST',
    headers: { 'content-type': 'application/gzip', ...auth('writer') },
    body: new Uint8Array(fs.readFileSync(file)),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as any).job.id as string;
}

/** The job once it has ended (succeeded or failed), read from `url`. */
const finished = (url: string, id: string, timeoutMs: number) =>
  eventually(
    async () => {
      const j = await job(url, id);
      return j.status === 'succeeded' || j.status === 'failed' ? j : undefined;
    },
    timeoutMs,
    `job ${id} to end`,
    100,
  );

/** Large enough that its ingest takes a while: 10 runs × 5 checkpoints × 5 topics × 100 prompts × 20 generations. */
const bigBundle = (version: string) =>
  validBundle(path.join(dir, `big-${version}`), {
    lab: 'lab-k',
    name: 'big',
    version,
    runs: Array.from({ length: 10 }, (_, i) => `big.r${i}`),
    topics: ['t1', 't2', 't3', 't4', 't5'],
    prompts: 100,
    generations: 20,
  });

const job = async (url: string, id: string) => (await (await fetch(`${url}/api/v1/jobs/${id}`, { headers: auth('writer') })).json()) as any;
const lakeFiles = () =>
  fs
    .readdirSync(cluster.lake, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(cluster.lake, path.join(e.parentPath, e.name)))
    .sort();

describe('cluster failures', () => {
  it('kill -9 of a replica during an ingest: nothing is published, the other serves on, the job fails, a new push succeeds', async () => {
    const [one, two] = cluster.replicas as [(typeof cluster.replicas)[0], (typeof cluster.replicas)[0]];
    const big = bigBundle('1');
    const before = await gql(two.url, '{ datasets { name } }', 'writer');
    const filesBefore = lakeFiles().filter((f) => !f.startsWith('.tmp'));
    const id = await push(one.url, big, 'big');
    await eventually(async () => ((await job(two.url, id)).status === 'running' ? true : undefined), 30_000, 'the job to start', 20);
    one.child.kill('SIGKILL');
    await one.stop();

    // The other replica keeps answering, with the data as it was.
    const during = await gql(two.url, '{ datasets { name } }', 'writer');
    expect(during.status).toBe(200);
    expect(during.body.data).toEqual(before.body.data);

    // The job is failed by the surviving replica once it sees the dead one's lock free.
    const failed = await eventually(
      async () => {
        const j = await job(two.url, id);
        return j.status === 'failed' ? j : undefined;
      },
      20_000,
      'the orphaned job to be failed',
    );
    expect(failed.error).toBe(ORPHANED);
    // Nothing published; whatever the killed ingest left in the lake is swept.
    await eventually(
      async () => (JSON.stringify(lakeFiles()) === JSON.stringify(filesBefore) ? true : undefined),
      20_000,
      'the lake to hold only published files',
    );
    expect((await gql(two.url, '{ datasets { name } }', 'writer')).body.data).toEqual(before.body.data);

    // A new push of the same bundle, to the surviving replica, succeeds.
    const again = await push(two.url, big, 'big-again');
    const done = await finished(two.url, again, 120_000);
    expect(done).toMatchObject({ status: 'succeeded', result: { status: 'ingested', observations: 500_000 } });
    // A replacement replica starts and serves it.
    const three = await cluster.addReplica();
    const seen = await gql(three.url, '{ datasets { name observationCount } }', 'writer');
    expect(seen.body.data.datasets).toEqual([{ name: 'big', observationCount: 500_000 }]);
  }, 240_000);

  it('restarting PostgreSQL under load and during an ingest: requests fail with SERVICE_UNAVAILABLE meanwhile, the replicas recover alone, the job ends', async () => {
    const replicas = cluster.replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    // Written before the load starts: writing it blocks this process for seconds, and the load's
    // idle keep-alive connections would meanwhile be closed by the server under the client.
    // Its ingest will hold the cluster's ingest lock when PostgreSQL goes away.
    const big = bigBundle('2');
    const bigArchive = await tarGzOf(big, path.join(dir, 'big2.tar.gz'));
    const outcomes = new Map<string, number>();
    const note = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    let running = true;
    const query = '{ datasets { name } runs(first: 5) { totalCount } }';
    const load = replicas.flatMap((r) =>
      [undefined, 'writer'].map(async (who) => {
        while (running) {
          try {
            const res = await gql(r.url, query, who);
            const code = res.body.errors?.[0]?.extensions?.code;
            note(res.status === 200 && !res.body.errors ? 'ok' : `${res.status} ${code}`);
          } catch (err) {
            note(`network ${(err as Error).message} ${String(((err as Error).cause as Error | undefined)?.message)}`);
          }
          await new Promise((res) => setTimeout(res, 20));
        }
      }),
    );
    const during = await push(replicas[0]!.url, bigArchive, 'big2');
    await eventually(
      async () => ((await job(replicas[0]!.url, during)).status === 'running' ? true : undefined),
      30_000,
      'the ingest to start',
      20,
    );
    await new Promise((r) => setTimeout(r, 300));
    cluster.pg.halt();
    await new Promise((r) => setTimeout(r, 3000));
    cluster.pg.resume();
    // Recovered: every replica answers keyed and anonymous requests normally again.
    for (const r of replicas) {
      await eventually(
        async () => {
          const a = await gql(r.url, query);
          const b = await gql(r.url, query, 'writer');
          return a.status === 200 && b.status === 200 && !a.body.errors && !b.body.errors ? true : undefined;
        },
        15_000,
        `replica ${r.url} to recover`,
        100,
      );
    }
    running = false;
    await Promise.all(load);
    // The interrupted ingest's job ends (failed, or succeeded had it committed first), never stuck.
    const ended = await finished(replicas[1]!.url, during, 60_000);
    expect(['succeeded', 'failed']).toContain(ended.status);
    const kinds = [...outcomes.keys()].sort();
    expect(kinds).toEqual(['503 SERVICE_UNAVAILABLE', 'ok']);
    for (const r of replicas) expect(r.child.exitCode).toBeNull();
    // Writes work again too.
    const bundle = validBundle(path.join(dir, 'after'), { lab: 'lab-k', name: 'after', version: '1' });
    const id = await push(replicas[0]!.url, bundle, 'after');
    const done = await finished(replicas[1]!.url, id, 30_000);
    expect(done.status).toBe('succeeded');
  }, 120_000);
});
