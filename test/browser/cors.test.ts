/**
 * A browser frontend on another origin calls the API with a key: allowed origins get proper
 * preflight answers, others get none and the browser refuses the response. Real server process,
 * real Chromium, a second HTTP server as the frontend's origin.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { KeyService } from '../../src/auth/keys.service';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ingestBundle } from '../../src/ingest/ingest';
import { smallBundle, writeBundle } from '../helpers/bundles';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { tempDir } from '../helpers/tmp';

function frontend(): Promise<http.Server> {
  const server = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>lab dashboard</title>'),
  );
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('CORS: a frontend on another origin', () => {
  const dir = tempDir();
  let api: ServerProcess;
  let allowed: http.Server;
  let other: http.Server;
  let browser: Browser;
  let key = '';

  beforeAll(async () => {
    const dbFile = path.join(dir, 'cors.duckdb');
    const db = await DriftDb.open(dbFile);
    try {
      await migrate(db);
      const b = smallBundle({ lab: 'lab-a', name: 'private-one' });
      b.manifest.dataset.visibility = 'private';
      await ingestBundle(db, writeBundle(path.join(dir, 'bundle'), b));
      key = (await new KeyService(db).create('lab-a', 'reader')).key;
    } finally {
      await db.close();
    }
    allowed = await frontend();
    other = await frontend();
    const origin = `http://127.0.0.1:${(allowed.address() as AddressInfo).port}`;
    api = await startServerProcess({ DRIFT_DB: dbFile, DRIFT_CORS_ORIGINS: `https://example.org, ${origin}` });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    for (const s of [allowed, other]) if (s) await new Promise((r) => s.close(r));
  });

  /** Runs fetch() in a page served from `origin` and reports what the page saw. */
  async function callFrom(
    origin: http.Server,
    token: string | null,
  ): Promise<{ ok: boolean; status?: number; body?: unknown; error?: string }> {
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${(origin.address() as AddressInfo).port}/`);
      return await page.evaluate(
        async ({ url, token }) => {
          try {
            const res = await fetch(`${url}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
              body: JSON.stringify({ query: '{ datasets { name visibility } }' }),
            });
            return { ok: true, status: res.status, body: await res.json() };
          } catch (e) {
            return { ok: false, error: String(e) };
          }
        },
        { url: api.url, token },
      );
    } finally {
      await page.close();
    }
  }

  it('an allowed origin calls the API with a key and sees the lab’s private dataset', async () => {
    const r = await callFrom(allowed, key);
    expect(r).toMatchObject({ ok: true, status: 200, body: { data: { datasets: [{ name: 'private-one', visibility: 'PRIVATE' }] } } });
    const anonymous = await callFrom(allowed, null);
    expect(anonymous).toMatchObject({ ok: true, status: 200, body: { data: { datasets: [] } } });
  });

  it('another origin gets no CORS answer, so the browser refuses the response', async () => {
    const r = await callFrom(other, key);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Failed to fetch/);
  });

  it('answers the preflight with the allowed headers for allowed origins only', async () => {
    const origin = `http://127.0.0.1:${(allowed.address() as AddressInfo).port}`;
    const pre = await fetch(`${api.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/authorization/);
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/content-type/);
    const denied = await fetch(`${api.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('keeps Apollo’s CSRF prevention: a simple cross-site GET query without a preflight header is refused', async () => {
    const res = await fetch(`${api.url}/graphql?query=${encodeURIComponent('{ datasets { name } }')}`, {
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(400);
  });
});
