/**
 * GraphiQL in a real headless Chromium with every non-loopback request blocked: the page must
 * load from the server alone and run a query.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { blockExternal, launchChromium } from '../helpers/browser';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

describe('GraphiQL in a browser, offline', () => {
  const dir = tempDir();
  let s: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    s = await startServer(path.join(dir, 'ui.duckdb'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('loads with no internet and runs a query', async () => {
    const context = await browser.newContext();
    const external = await blockExternal(context);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${s.url}/graphql`, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-container', { timeout: 30_000 });

    const response = page.waitForResponse(
      (r) =>
        r.url().endsWith('/graphql') && r.request().method() === 'POST' && !(r.request().postData() ?? '').includes('IntrospectionQuery'),
    );
    await page.click('.graphiql-execute-button');
    const body = (await (await response).json()) as { data?: { runs: { totalCount: number } } };
    // The first example tab lists DPO runs: 8 in the conformance bundle.
    expect(body.data?.runs.totalCount).toBe(8);
    await page.waitForFunction(() => document.querySelector('.graphiql-response')?.textContent?.includes('totalCount'), null, {
      timeout: 15_000,
    });
    if (process.env.GRAPHIQL_SCREENSHOT) await page.screenshot({ path: process.env.GRAPHIQL_SCREENSHOT });

    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
