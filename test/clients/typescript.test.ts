/**
 * The TypeScript client: its generated operations match the committed schema and operations (a
 * regeneration must give the committed file), and its typed requests work against a real server.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { AttributionSummaryDocument, DriftqlError, TrajectoriesDocument, createClient } from '../../clients/typescript/src/client';
import { ROOT } from '../../src/paths';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

it('the committed generated.ts is what codegen makes from schema/schema.graphql now (npm run codegen)', () => {
  const bin = path.join(ROOT, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js');
  const r = spawnSync(process.execPath, [bin, '--config', 'clients/typescript/codegen.ts', '--check'], { cwd: ROOT, encoding: 'utf8' });
  expect({ status: r.status, out: r.status === 0 ? '' : `${r.stdout}${r.stderr}` }).toEqual({ status: 0, out: '' });
}, 60_000);

describe('typed requests against a real server', () => {
  const dir = tempDir();
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(path.join(dir, 'client.duckdb'));
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers typed operations, and throws DriftqlError with the server’s code', async () => {
    const request = createClient(s.url);
    const t = await request(TrajectoriesDocument, { runIds: ['1'], topics: ['abortion'], stances: ['SUPPORT'] });
    expect(t.trajectories).toHaveLength(1);
    expect(t.trajectories[0]!.points.length).toBeGreaterThan(1);
    expect(typeof t.trajectories[0]!.points[0]!.value).toBe('number');
    const a = await request(AttributionSummaryDocument, { groupBy: ['ALGORITHM'], topics: ['abortion'], stances: ['SUPPORT'] });
    expect(a.attributionSummary.map((g) => g.label)).toEqual(['ALGORITHM=dpo', 'ALGORITHM=ppo', 'ALGORITHM=simpo']);
    await expect(request(TrajectoriesDocument, { runFilter: { algorithm: ['DPO'] } })).rejects.toMatchObject({
      name: 'DriftqlError',
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/did you mean "dpo"/),
    });
    expect(DriftqlError).toBeDefined();
  });
});
