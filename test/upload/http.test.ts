/**
 * POST /api/v1/bundles and GET /api/v1/jobs/<id> against a real HTTP server: an upload lands and
 * is queryable through GraphQL, a broken bundle's job fails with a local ingest's problems, a
 * key of another lab is refused, a dry run writes nothing, an oversize body gets 413.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp, type App } from '../../src/app';
import { KeyService } from '../../src/auth/keys.service';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ingestJobs } from '../../src/db/schema';
import { BundleError } from '../../src/ingest/errors';
import { ingestBundle } from '../../src/ingest/ingest';
import { INTERRUPTED } from '../../src/upload/jobs';
import { tempDir } from '../helpers/tmp';
import { randomBytes, rawTarGz, tarGzOf } from './archive';
import { brokenBundle, validBundle } from './bundles';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read loosely and checked with expect */
interface JobJson {
  id: string;
  status: string;
  progress: { phase: string; rows: number | null; message: string };
  result: { status: string; observations: number } | null;
  problems: { file: string; line?: number; field?: string; message: string }[];
}

const MAX_UPLOAD = 300_000;
const LEFT_RUNNING = '00000000-0000-4000-8000-00000000abcd';

describe('uploading bundles over HTTP', () => {
  const dir = tempDir();
  let db: DriftDb;
  let app: App;
  let url = '';
  const token: Record<string, string> = {};
  let n = 0;

  beforeAll(async () => {
    db = await DriftDb.open(path.join(dir, 'up.duckdb'));
    await migrate(db);
    const keys = new KeyService(db);
    token.aWriter = (await keys.create('lab-a', 'writer')).key;
    token.aReader = (await keys.create('lab-a', 'reader')).key;
    token.bWriter = (await keys.create('lab-b', 'writer')).key;
    token.admin = (await keys.create('ops', 'admin')).key;
    // A job a previous server process left running.
    await db.orm.insert(ingestJobs).values({
      id: LEFT_RUNNING,
      lab: 'lab-a',
      dataset: 'small',
      version: '0',
      keyId: null,
      status: 'running',
      replace: false,
      dryRun: false,
      createdAt: new Date(),
    });
    app = await createApp(db, { DRIFT_MAX_COST: 2_000_000, DRIFT_MAX_DEPTH: 8, DRIFT_MAX_UPLOAD_BYTES: MAX_UPLOAD });
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.stop();
    await db.close();
  });

  const archiveOf = async (bundleDir: string) => fs.readFileSync(await tarGzOf(bundleDir, path.join(dir, `u${n++}.tar.gz`)));
  const auth = (who?: string): Record<string, string> => (who ? { authorization: `Bearer ${token[who] ?? who}` } : {});

  async function upload(body: Buffer, who?: string, query = '', type = 'application/gzip') {
    const res = await fetch(`${url}/api/v1/bundles${query}`, {
      method: 'POST',
      headers: { 'content-type': type, ...auth(who) },
      body: new Uint8Array(body),
    });
    return { status: res.status, location: res.headers.get('location'), body: (await res.json()) as Record<string, any> };
  }
  async function job(id: string, who = 'aWriter'): Promise<{ status: number; body: JobJson }> {
    const res = await fetch(`${url}/api/v1/jobs/${id}`, { headers: auth(who) });
    return { status: res.status, body: (await res.json()) as JobJson };
  }
  async function finished(id: string, who = 'aWriter'): Promise<JobJson> {
    await app.jobs.idle();
    return (await job(id, who)).body;
  }
  async function gql(query: string, who?: string) {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(who) },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: any; errors?: unknown[] };
  }
  const tmpLeft = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('driftql-upload-'));

  it('at start, a job left running by a previous process is failed as interrupted', async () => {
    const left = await job(LEFT_RUNNING, 'admin');
    expect(left.body).toMatchObject({ status: 'failed', progress: { phase: 'failed', message: INTERRUPTED } });
  });

  it('a valid upload is queued, lands, and is queryable through GraphQL', async () => {
    const before = tmpLeft();
    const res = await upload(await archiveOf(validBundle(path.join(dir, 'ok'), { version: '1' })), 'aWriter');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ job: { id: expect.any(String), status: 'queued' } });
    expect(res.location).toBe(`/api/v1/jobs/${res.body.job.id}`);
    const done = await finished(res.body.job.id);
    expect(done).toMatchObject({
      id: res.body.job.id,
      status: 'succeeded',
      result: { status: 'ingested' },
      progress: { phase: 'done' },
      problems: [],
    });
    const q = await gql('{ datasets { lab name version observationCount } }', 'aReader');
    expect(q.data.datasets).toEqual([{ lab: 'lab-a', name: 'small', version: '1', observationCount: done.result!.observations }]);
    // The upload and the unpacked bundle are gone.
    expect(tmpLeft().filter((f) => !before.includes(f))).toEqual([]);
  });

  it('streams the job as server-sent events until it ends', async () => {
    const res = await upload(await archiveOf(validBundle(path.join(dir, 'sse'), { version: '1b' })), 'aWriter', '?dryRun=true');
    const events = await fetch(`${url}/api/v1/jobs/${res.body.job.id}/events`, { headers: auth('aWriter') });
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await events.text(); // ends when the job does
    const jobs = text
      .split('\n\n')
      .filter((e) => e.startsWith('event: job'))
      .map((e) => JSON.parse(e.split('\ndata: ')[1]!) as JobJson);
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(jobs.at(-1)).toMatchObject({ status: 'succeeded', result: { status: 'validated' } });
  });

  it("a broken bundle's job fails with the problems a local ingest reports", async () => {
    const local = await DriftDb.open(path.join(dir, 'local.duckdb'));
    let expected: BundleError | undefined;
    try {
      await migrate(local);
      await ingestBundle(local, brokenBundle(path.join(dir, 'broken-local'), { version: '2' })).catch(
        (e: unknown) => (expected = e as BundleError),
      );
    } finally {
      await local.close();
    }
    expect(expected).toBeInstanceOf(BundleError);
    const res = await upload(await archiveOf(brokenBundle(path.join(dir, 'broken'), { version: '2' })), 'aWriter');
    expect(res.status).toBe(202);
    const failed = await finished(res.body.job.id);
    expect(failed.status).toBe('failed');
    expect(failed.problems).toEqual(JSON.parse(JSON.stringify(expected!.problems)));
    expect(failed.problems[0]).toMatchObject({ file: 'observations.csv', line: expect.any(Number), field: expect.any(String) });
    expect((await gql('{ datasets { version } }', 'admin')).data.datasets).toEqual([{ version: '1' }]);
  });

  it('refuses a key of another lab (403), a reader (403), no key (403) and a bad key (401)', async () => {
    const body = await archiveOf(validBundle(path.join(dir, 'other'), { version: '3' }));
    for (const [who, status, code] of [
      ['bWriter', 403, 'FORBIDDEN'],
      ['aReader', 403, 'FORBIDDEN'],
      [undefined, 403, 'FORBIDDEN'],
      ['dql_not-a-real-key', 401, 'UNAUTHENTICATED'],
    ] as const) {
      const res = await upload(body, who);
      expect([who, res.status, res.body.error?.code]).toEqual([who, status, code]);
      expect(res.body.error.message).toEqual(expect.any(String));
    }
    const admin = await upload(body, 'admin', '?dryRun=true');
    expect(admin.status).toBe(202);
    expect(await finished(admin.body.job.id, 'admin')).toMatchObject({ status: 'succeeded' });
  });

  it('shows a job only to its lab and admins (404 to others)', async () => {
    const res = await upload(await archiveOf(validBundle(path.join(dir, 'seen'), { version: '4' })), 'aWriter', '?dryRun=true');
    await app.jobs.idle();
    expect((await job(res.body.job.id, 'aReader')).status).toBe(200);
    expect((await job(res.body.job.id, 'admin')).status).toBe(200);
    const other = await job(res.body.job.id, 'bWriter');
    expect(other.status).toBe(404);
    expect((other.body as any).error.code).toBe('NOT_FOUND');
    expect((await job(res.body.job.id, '')).status).toBe(404);
    expect((await job('00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('a dry run checks everything and writes nothing', async () => {
    const res = await upload(await archiveOf(validBundle(path.join(dir, 'dry'), { version: '5' })), 'aWriter', '?dryRun=true');
    expect(await finished(res.body.job.id)).toMatchObject({ status: 'succeeded', result: { status: 'validated' } });
    expect((await gql('{ datasets { version } }', 'admin')).data.datasets).toEqual([{ version: '1' }]);
  });

  it('refuses an oversize body with 413, a wrong content type, a bad flag and a hostile archive with 400', async () => {
    const big = await upload(rawTarGz([{ path: 'manifest.json', body: randomBytes(MAX_UPLOAD + 1000) }]), 'aWriter');
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/DRIFT_MAX_UPLOAD_BYTES/) });
    const json = await upload(Buffer.from('{}'), 'aWriter', '', 'application/json');
    expect([json.status, json.body.error.code]).toEqual([400, 'BAD_USER_INPUT']);
    const flag = await upload(Buffer.from('x'), 'aWriter', '?dryRun=maybe');
    expect([flag.status, flag.body.error.message]).toEqual([400, '?dryRun= takes true or false']);
    const evil = await upload(rawTarGz([{ path: '../manifest.json', body: '{}' }]), 'aWriter');
    expect([evil.status, evil.body.error.message]).toEqual([400, expect.stringMatching(/"\.\.\/manifest\.json" was refused/)]);
    const noManifest = await upload(rawTarGz([{ path: 'a.csv', body: 'x' }]), 'aWriter');
    expect([noManifest.status, noManifest.body.error.message]).toEqual([400, expect.stringMatching(/no manifest\.json/)]);
  });

  /** Uploads `bytes` as a stream of 64 KiB chunks, without a Content-Length. */
  const streamed = (bytes: Buffer) => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(sent, sent + 64 * 1024));
        sent += 64 * 1024;
      },
    });
    return fetch(`${url}/api/v1/bundles`, {
      method: 'POST',
      headers: { 'content-type': 'application/gzip', ...auth('aWriter') },
      body,
      duplex: 'half',
    } as RequestInit);
  };

  it('refuses with 413 a body sent without a length once it streams past the limit', async () => {
    // A valid archive (random bytes do not compress), so only its size can stop it.
    const res = await streamed(rawTarGz([{ path: 'manifest.json', body: randomBytes(MAX_UPLOAD * 2) }]));
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a body that is not gzip as soon as it starts arriving, whatever its length', async () => {
    const res = await streamed(randomBytes(MAX_UPLOAD * 2));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toMatch(/not a readable gzip-compressed tar archive/);
  });

  it('refuses a bad manifest with its problems', async () => {
    const res = await upload(rawTarGz([{ path: 'manifest.json', body: '{"format": "drift-trace/v1"}' }]), 'aWriter');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_USER_INPUT');
  });

  it('answers ingestJob and ingestJobs through GraphQL to the lab’s keys and admins only', async () => {
    const res = await upload(await archiveOf(brokenBundle(path.join(dir, 'gq'), { version: 'gq' })), 'aWriter');
    const id = res.body.job.id as string;
    await finished(id);
    const own = await gql(`{ ingestJob(id: "${id}") { id lab status problems { file line field message } } }`, 'aReader');
    expect(own.data.ingestJob).toMatchObject({ id, lab: 'lab-a', status: 'FAILED' });
    expect(own.data.ingestJob.problems).toContainEqual(expect.objectContaining({ file: 'observations.csv', line: 4, field: 'p_support' }));
    for (const who of ['bWriter', undefined]) {
      const other = (await gql(`{ ingestJob(id: "${id}") { id } }`, who)) as { errors: { extensions: { code: string } }[] };
      expect(other.errors[0]!.extensions.code).toBe('NOT_FOUND');
    }
    const listed = await gql('{ ingestJobs(first: 50) { id lab } }', 'aWriter');
    expect(listed.data.ingestJobs.map((j: { id: string }) => j.id)).toContain(id);
    expect(new Set(listed.data.ingestJobs.map((j: { lab: string }) => j.lab))).toEqual(new Set(['lab-a']));
    expect((await gql('{ ingestJobs { id } }', 'bWriter')).data.ingestJobs.map((j: { id: string }) => j.id)).not.toContain(id);
    expect((await gql('{ ingestJobs { id } }')).data.ingestJobs).toEqual([]);
    expect((await gql('{ ingestJobs(first: 100) { id } }', 'admin')).data.ingestJobs.map((j: { id: string }) => j.id)).toContain(id);
  });

  it('two uploads at once: different datasets both land; the same identity with other content gets a conflict', async () => {
    const [x, y] = await Promise.all([
      upload(await archiveOf(validBundle(path.join(dir, 'px'), { lab: 'lab-a', name: 'para-x' })), 'aWriter'),
      upload(await archiveOf(validBundle(path.join(dir, 'py'), { lab: 'lab-a', name: 'para-y' })), 'aWriter'),
    ]);
    expect((await finished(x.body.job.id)).status).toBe('succeeded');
    expect((await finished(y.body.job.id)).status).toBe('succeeded');

    const [a, b] = await Promise.all([
      upload(await archiveOf(validBundle(path.join(dir, 'sa'), { lab: 'lab-a', name: 'same', seed: 1 })), 'aWriter'),
      upload(await archiveOf(validBundle(path.join(dir, 'sb'), { lab: 'lab-a', name: 'same', seed: 2 })), 'aWriter'),
    ]);
    const outcomes = [await finished(a.body.job.id), await finished(b.body.job.id)] as (JobJson & { error: string | null })[];
    expect(outcomes.map((o) => o.status).sort()).toEqual(['failed', 'succeeded']);
    const loser = outcomes.find((o) => o.status === 'failed')!;
    expect(loser.error).toMatch(/already loaded with different content/);
    const q = await gql('{ datasets { name } }', 'aReader');
    expect(q.data.datasets.filter((d: { name: string }) => d.name === 'same')).toHaveLength(1);
  });
});
