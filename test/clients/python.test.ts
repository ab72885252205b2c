/**
 * The Python client (clients/python): its pytest suite run against real servers started here.
 *
 * - scripts/python-env.sh makes .venv with ./clients/python[test] installed (once; after that it
 *   returns at once unless the client's files changed);
 * - a server over the conformance bundle, with a writer and a reader key of lab py-lab;
 * - a server over the demo data (what `npm start` loads), for the example script;
 * - an empty server that allows 3 requests a minute, for the rate limit.
 *
 * pytest gets their URLs and keys in DRIFTQL_TEST_* variables (clients/python/tests/conftest.py).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { writeDemoBundle } from '../../seeds/demo';
import { createApp, type App } from '../../src/app';
import { KeyService } from '../../src/auth/keys.service';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ROOT } from '../../src/paths';
import { CONFORMANCE, startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

/** Runs a command to its end without blocking the event loop (the servers answer meanwhile). */
function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the Python client against real servers', () => {
  const dir = tempDir();
  let conformance: TestServer | undefined;
  let demo: TestServer | undefined;
  let limitedDb: DriftDb | undefined;
  let limited: App | undefined;
  let limitedUrl = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const env = spawnSync('bash', [path.join(ROOT, 'scripts', 'python-env.sh')], { cwd: ROOT, encoding: 'utf8', timeout: 280_000 });
    if (env.status !== 0) throw new Error(`scripts/python-env.sh failed (${env.status ?? env.signal}):\n${env.stdout}${env.stderr}`);

    conformance = await startServer(path.join(dir, 'conformance.duckdb'));
    const keys = new KeyService(conformance.db);
    tokens.writer = (await keys.create('py-lab', 'writer', 'python client tests')).key;
    tokens.reader = (await keys.create('py-lab', 'reader', 'python client tests')).key;

    // The demo data as `npm start` loads it (src/seed.ts): the generated bundle, ingested.
    const demoBundle = path.join(dir, 'demo-bundle');
    writeDemoBundle(demoBundle);
    demo = await startServer(path.join(dir, 'demo.duckdb'), [demoBundle]);

    limitedDb = await DriftDb.open(path.join(dir, 'limited.duckdb'));
    await migrate(limitedDb);
    limited = await createApp(limitedDb, { DRIFT_MAX_COST: 2_000_000, DRIFT_MAX_DEPTH: 8, DRIFT_RATE_LIMIT: 3 });
    await new Promise<void>((resolve) => limited!.server.listen(0, '127.0.0.1', resolve));
    limitedUrl = `http://127.0.0.1:${(limited.server.address() as AddressInfo).port}`;
  }, 300_000);

  afterAll(async () => {
    await conformance?.close();
    await demo?.close();
    await limited?.stop();
    await limitedDb?.close();
  });

  it('passes its pytest suite (python -m pytest clients/python/tests)', async () => {
    const { DRIFT_TOKEN: _ignored, ...inherited } = process.env as Record<string, string>;
    const { code, output } = await run(
      PYTHON,
      ['-m', 'pytest', 'clients/python/tests', '-q', '-rs', '-p', 'no:cacheprovider'],
      {
        ...inherited,
        PYTHONDONTWRITEBYTECODE: '1',
        DRIFTQL_TEST_URL: conformance!.url,
        DRIFTQL_TEST_WRITER_TOKEN: tokens.writer!,
        DRIFTQL_TEST_READER_TOKEN: tokens.reader!,
        DRIFTQL_TEST_DEMO_URL: demo!.url,
        DRIFTQL_TEST_RATE_LIMITED_URL: limitedUrl,
        DRIFTQL_TEST_CONFORMANCE: CONFORMANCE,
      },
      240_000,
    );
    if (code !== 0) throw new Error(`pytest exited with ${code}:\n${output}`);
    expect(output).toMatch(/\d+ passed/);
    // Every server and key reached the tests: nothing was skipped.
    expect(output.split('\n').filter((l) => l.startsWith('SKIPPED'))).toEqual([]);
  }, 300_000);
});
