/**
 * GraphiQL in a real headless Chromium with every non-loopback request blocked: the page must
 * load from the server alone, run a query, and open a /graphql?query=&variables= link.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { EXAMPLES, renderPage } from '../../src/graphiql';
import { blockExternal, launchChromium } from '../helpers/browser';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const RUNS = 'query Runs($first: Int) { runs(first: $first) { totalCount nodes { id } } }';

/** A link that opens a query in GraphiQL, as a web frontend would build it. */
function link(base: string, query: string, variables?: Record<string, unknown>): string {
  const params = new URLSearchParams({ query });
  if (variables) params.set('variables', JSON.stringify(variables));
  return `${base}/graphql?${params}`;
}

/** The GraphiQL tabs' titles, the active one marked with `*`, and the text in the query and variables editors. */
async function shown(page: Page): Promise<{ tabs: string[]; query: string; variables: string }> {
  return page.evaluate(() => {
    const text = (selector: string) => document.querySelector(selector)?.textContent?.replace(/\s+/g, ' ') ?? '';
    return {
      tabs: [...document.querySelectorAll('.graphiql-tab')].map(
        (t) => (t.getAttribute('aria-selected') === 'true' ? '*' : '') + (t.querySelector('.graphiql-tab-button')?.textContent ?? ''),
      ),
      query: text('.graphiql-query-editor .view-lines'),
      variables: text('.graphiql-editor-tool .graphiql-editor:not(.hidden) .view-lines'),
    };
  });
}

/** Waits until GraphiQL shows `query` in its editor. */
async function waitForQuery(page: Page, query: string): Promise<void> {
  await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
  await page.waitForFunction(
    (q) => document.querySelector('.graphiql-query-editor .view-lines')?.textContent?.replace(/\s+/g, ' ') === q,
    query,
    { timeout: 15_000 },
  );
}

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

  it('opens a /graphql?query=&variables= link in a tab of its own, active, and runs it with those variables', async () => {
    const context = await browser.newContext();
    const external = await blockExternal(context);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(link(s.url, RUNS, { first: 3 }), { waitUntil: 'load' });
    await waitForQuery(page, RUNS);

    // No tabs stored yet: the link's tab comes first, active, before the examples.
    const { tabs, variables } = await shown(page);
    expect(tabs).toHaveLength(EXAMPLES.length + 1);
    expect(tabs.filter((t) => t.startsWith('*'))).toEqual(['*Runs']);
    expect(tabs[0]).toBe('*Runs');
    expect(variables).toBe('{"first":3}');

    const response = page.waitForResponse(
      (r) =>
        r.url().endsWith('/graphql') && r.request().method() === 'POST' && !(r.request().postData() ?? '').includes('IntrospectionQuery'),
    );
    await page.click('.graphiql-execute-button');
    const answer = await response;
    const sent = answer.request().postDataJSON() as { query: string; variables: unknown };
    expect(sent.query.replace(/\s+/g, '')).toBe(RUNS.replace(/\s+/g, ''));
    expect(sent.variables).toEqual({ first: 3 });
    const body = (await answer.json()) as { data?: { runs: { totalCount: number; nodes: { id: string }[] } } };
    expect(body.data?.runs.nodes).toHaveLength(3);
    expect(body.data?.runs.totalCount).toBeGreaterThan(3);

    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('adds the link’s tab to the stored tabs, and a reload reopens it rather than adding another', async () => {
    const context = await browser.newContext();
    await blockExternal(context);
    const page = await context.newPage();
    await page.goto(`${s.url}/graphql`, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
    const before = (await shown(page)).tabs.length;

    await page.goto(link(s.url, RUNS, { first: 2 }), { waitUntil: 'load' });
    await waitForQuery(page, RUNS);
    const opened = await shown(page);
    expect(opened.tabs).toHaveLength(before + 1);
    expect(opened.tabs.at(-1)).toBe('*Runs');
    expect(opened.variables).toBe('{"first":2}');

    await page.reload({ waitUntil: 'load' });
    await waitForQuery(page, RUNS);
    expect(await shown(page)).toEqual(opened);
    await context.close();
  });

  it('answers GET /graphql?query= as GraphQL over GET to callers that do not ask for HTML', async () => {
    const url = link(s.url, '{ datasets { name } }');
    const json = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await json.json()) as { data: { datasets: unknown[] } }).data.datasets.length).toBeGreaterThan(0);

    const html = await fetch(url, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(html.headers.get('vary')).toMatch(/accept\b/i);
  });

  it('refuses to render if the GraphiQL page no longer has the call it wraps', () => {
    expect(() => renderPage(() => '<script>YogaGraphiQL.render({})</script>')).toThrow(/renderYogaGraphiQL/);
  });
});
