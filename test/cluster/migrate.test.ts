/**
 * `driftql migrate-to-cluster`: an embedded database file moves into an empty cluster with its
 * ids, ingest times and API keys; a replica then answers every read query exactly as the file
 * did, keys made before the move keep working, and a second move into the same catalogue is
 * refused without touching it.
 */
import path from 'node:path';
import { allQueries } from '../helpers/all-queries';
import { runCli } from '../helpers/cli';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { CONFORMANCE, startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const dir = tempDir('driftql-migrate-');
const file = path.join(dir, 'drift.duckdb');
const lake = path.join(dir, 'lake');
let pg: TestPostgres;
let replica: ServerProcess | undefined;
let embedded: TestServer | undefined;

beforeAll(() => {
  pg = startPostgres();
});
afterAll(async () => {
  await replica?.stop();
  await embedded?.close();
  pg?.stop();
});

it('moves a database file into an empty cluster, where a replica answers exactly as the file did', async () => {
  expect(runCli(dir, ['ingest', CONFORMANCE, '--db', file, '--quiet']).status).toBe(0);
  const created = runCli(dir, ['keys', 'create', '--lab', 'mila-demo', '--role', 'reader', '--db', file]);
  const key = /dql_[A-Za-z0-9_-]{43}/.exec(created.stdout)![0];

  const moved = runCli(dir, ['migrate-to-cluster', '--db', file, '--catalog', pg.url, '--lake', lake]);
  expect(moved.status).toBe(0);
  expect(moved.stderr).toMatch(/dataset 1 \(conformance v1\): writing 7,776 observations/);
  expect(moved.stdout).toMatch(/migrated .* 1 dataset version\(s\), 1 API key\(s\)/);

  replica = await startServerProcess({ DRIFT_CATALOG_URL: pg.url, DRIFT_LAKE: lake, DRIFT_UPLOAD_DIR: path.join(dir, 'up') }, 60_000);
  embedded = await startServer(file, []);
  const runs = await embedded.gql<{ runs: { nodes: { id: string }[] } }>('{ runs(first: 1) { nodes { id } } }');
  for (const q of allQueries(runs.data!.runs.nodes[0]!.id)) {
    const want = await embedded.gql(q.query);
    const res = await fetch(`${replica.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: q.query }),
    });
    // Same ids and ingest times: nothing to leave out of the comparison.
    expect({ query: q.name, answer: await res.json() }).toEqual({ query: q.name, answer: { data: want.data } });
  }

  // The CLI works on the cluster when its two variables are set and no --db is given.
  const cluster = { DRIFT_CATALOG_URL: pg.url, DRIFT_LAKE: lake };
  const listed = runCli(dir, ['datasets', 'list', '--json'], cluster);
  expect(listed.status).toBe(0);
  expect((JSON.parse(listed.stdout) as { name: string; runCount: number }[]).map((d) => [d.name, d.runCount])).toEqual([
    ['conformance', 24],
  ]);
  const compact = runCli(dir, ['compact'], cluster);
  expect(compact.status).not.toBe(0);
  expect(compact.stderr).toMatch(/in cluster mode the lake holds no deleted rows/);

  await embedded.close();
  embedded = undefined;
  const again = runCli(dir, ['migrate-to-cluster', '--db', file, '--catalog', pg.url, '--lake', lake]);
  expect(again.status).not.toBe(0);
  expect(again.stderr).toMatch(/already holds 1 dataset\(s\) and 1 key\(s\); migrate into an empty catalogue/);
}, 120_000);
