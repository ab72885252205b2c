/**
 * The explorer at `/` in a real headless Chromium with every non-loopback request blocked: it
 * loads from the server alone, its runs table holds exactly the runs the API gives the caller,
 * filtering and selection live in the URL (a reload restores them), a private dataset appears
 * only once a key of its lab is entered, and hashed assets may be cached for a year.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { KeyService } from '../../src/auth/keys.service';
import { ingestBundle } from '../../src/ingest/ingest';
import { blockExternal, launchChromium } from '../helpers/browser';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';
import { validBundle } from '../upload/bundles';

describe('the explorer in a browser, offline', () => {
  const dir = tempDir();
  let s: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let key = '';
  let external: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    s = await startServer(path.join(dir, 'explorer.duckdb'));
    const secret = validBundle(path.join(dir, 'secret'), { lab: 'lab-p', name: 'secret', runs: ['p.r0', 'p.r1'] });
    const manifest = JSON.parse(fs.readFileSync(path.join(secret, 'manifest.json'), 'utf8'));
    manifest.dataset.visibility = 'private';
    fs.writeFileSync(path.join(secret, 'manifest.json'), JSON.stringify(manifest));
    await ingestBundle(s.db, secret);
    key = (await new KeyService(s.db).create('lab-p', 'reader')).key;
    browser = await launchChromium();
    context = await browser.newContext();
    external = await blockExternal(context);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await s?.close();
  });

  async function open(search = ''): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${s.url}/${search}`, { waitUntil: 'load' });
    await page.waitForSelector('table tbody tr', { timeout: 30_000 });
    return page;
  }
  const rowCount = (page: Page) => page.locator('tbody tr').count();

  it('lists exactly the runs the API gives an anonymous caller, with no request leaving the machine', async () => {
    const api = await s.gql<{ runs: { totalCount: number } }>('{ runs { totalCount } }');
    const page = await open();
    expect(await rowCount(page)).toBe(api.data!.runs.totalCount);
    expect(await page.locator('tbody').textContent()).not.toMatch(/p\.r0|secret/);
    await page.close();
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('keeps the filter and the selection in the URL, and a reload restores them', async () => {
    const page = await open();
    await page.fill('input[aria-label="filter Algorithm"]', 'dpo');
    const dpo = await s.gql<{ runs: { totalCount: number } }>('{ runs(filter: { algorithm: ["dpo"] }) { totalCount } }');
    await page.waitForFunction((n) => document.querySelectorAll('tbody tr').length === n, dpo.data!.runs.totalCount);
    const first = page.locator('tbody tr').first();
    const runId = await first.getAttribute('data-run');
    await first.locator('input[type=checkbox]').check();
    const url = page.url();
    expect(new URL(url).searchParams.get('runs')).toBe(runId);
    expect(new URL(url).searchParams.get('f.algorithm')).toBe('dpo');
    const again = await open(new URL(url).search);
    expect(await rowCount(again)).toBe(dpo.data!.runs.totalCount);
    expect(await again.locator(`tr[data-run="${runId}"] input[type=checkbox]`).isChecked()).toBe(true);
    await page.close();
    await again.close();
  });

  it('shows a private dataset only after a key of its lab is entered', async () => {
    const page = await open();
    const before = await rowCount(page);
    await page.fill('input[type=password]', key);
    await page.click('form.key button[type=submit]');
    await page.waitForFunction((n) => document.querySelectorAll('tbody tr').length === n + 2, before);
    expect(await page.locator('tbody').textContent()).toMatch(/p\.r0/);
    await page.close();
  });

  it('serves the page for revalidation and its hashed assets for a year', async () => {
    const index = await fetch(`${s.url}/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = /\/assets\/[^"]+\.js/.exec(await index.text())![0];
    const res = await fetch(`${s.url}${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });
});
