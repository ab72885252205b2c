/**
 * Rate limit against the real server process with a small limit: the request after the limit
 * gets HTTP 429 with Retry-After and TOO_MANY_REQUESTS, in GraphQL's error shape on /graphql and
 * in the REST endpoints' shape on /api; requests are
 * counted per API key when they carry a valid one and per client address otherwise, so other
 * keys and addresses are unaffected; /healthz is not limited. Other client addresses are made
 * by binding the client's socket to other loopback addresses (127.0.0.0/8).
 */
import http from 'node:http';
import path from 'node:path';
import { KeyService } from '../../src/auth/keys.service';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { tempDir } from '../helpers/tmp';

const LIMIT = 5;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: {
    data?: unknown;
    errors?: { message: string; extensions?: { code?: string } }[];
    error?: { code: string; message: string };
    status?: string;
  };
}

/** One HTTP request from `from` (a loopback address), with an optional bearer key. */
function send(url: string, opts: { from?: string; key?: string; method?: 'GET' | 'POST'; path?: string } = {}): Promise<Reply> {
  const target = new URL(opts.path ?? '/graphql', url);
  const body = opts.method === 'GET' ? undefined : JSON.stringify({ query: '{ __typename }' });
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      {
        method: opts.method ?? 'POST',
        localAddress: opts.from ?? '127.0.0.1',
        headers: {
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Reply['body'] }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function expectLimited(r: Reply, who: RegExp): void {
  expect(r.status).toBe(429);
  expect(r.headers['content-type']).toMatch(/application\/json/);
  const retryAfter = Number(r.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(r.body.errors).toHaveLength(1);
  const [err] = r.body.errors!;
  expect(err!.extensions!.code).toBe('TOO_MANY_REQUESTS');
  expect(err!.message).toMatch(who);
  expect(err!.message).toMatch(new RegExp(`may send ${LIMIT} requests a minute; retry after \\d+ s`));
}

describe('rate limit over a real server process', () => {
  const dir = tempDir();
  let server: ServerProcess;
  let keyA = '';
  let keyB = '';

  beforeAll(async () => {
    const dbFile = path.join(dir, 'limits.duckdb');
    const db = await DriftDb.open(dbFile);
    try {
      await migrate(db);
      const keys = new KeyService(db);
      keyA = (await keys.create('lab-a', 'reader', 'a')).key;
      keyB = (await keys.create('lab-b', 'reader', 'b')).key;
    } finally {
      await db.close();
    }
    server = await startServerProcess({ DRIFT_DB: dbFile, DRIFT_RATE_LIMIT: String(LIMIT) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('limits an address without a key, and no other address', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const r = await send(server.url, { from: '127.0.0.2' });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({ __typename: 'Query' });
    }
    expectLimited(await send(server.url, { from: '127.0.0.2' }), /this address/);
    // GET requests to /graphql count too.
    expectLimited(await send(server.url, { from: '127.0.0.2', method: 'GET', path: '/graphql?query=%7B__typename%7D' }), /this address/);
    // A key that is not valid does not escape the address's count.
    expectLimited(await send(server.url, { from: '127.0.0.2', key: 'dql_not-a-real-key' }), /this address/);

    // The REST endpoints answer in their own error shape.
    const rest = await send(server.url, { from: '127.0.0.2', method: 'GET', path: '/api/v1/export/observations' });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(rest.body.error).toEqual({
      code: 'TOO_MANY_REQUESTS',
      message: expect.stringMatching(/this address may send 5 requests a minute/),
    });

    const other = await send(server.url, { from: '127.0.0.3' });
    expect(other.status).toBe(200);
  });

  it('does not limit /healthz', async () => {
    for (let i = 0; i < LIMIT + 2; i++) {
      const r = await send(server.url, { from: '127.0.0.2', method: 'GET', path: '/healthz' });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('ok');
    }
  });

  it('counts requests with a valid key per key, wherever they come from', async () => {
    // The address 127.0.0.2 is over its limit; a key is counted on its own.
    for (let i = 0; i < LIMIT; i++) {
      const r = await send(server.url, { from: i % 2 ? '127.0.0.2' : '127.0.0.4', key: keyA });
      expect(r.status).toBe(200);
    }
    expectLimited(await send(server.url, { from: '127.0.0.5', key: keyA }), /this API key/);

    const b = await send(server.url, { from: '127.0.0.2', key: keyB });
    expect(b.status).toBe(200);
    expect(b.body.data).toEqual({ __typename: 'Query' });
  });
});
