/**
 * The explorer at `/` in a real headless Chromium with every non-loopback request blocked: it
 * loads from the server alone, its runs table holds exactly the runs the API gives the caller,
 * filtering and selection live in the URL (a reload restores them), a private dataset appears
 * only once a key of its lab is entered, and hashed assets may be cached for a year. On the
 * conformance bundle, the numbers the views show equal the fixture's independently computed
 * values (metrics.json, and R's ANOVA).
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

const EXPECTED = path.join(__dirname, '..', 'fixtures', 'conformance', 'expected');
const metrics = JSON.parse(fs.readFileSync(path.join(EXPECTED, 'metrics.json'), 'utf8')) as {
  values: { run: string; stage: string; step: number; topic: string; support: number; support_half: number; n: number }[];
  attribution: { run: string; topic: string; stance: string; stages: { stage: string; netShare: number | null }[] }[];
};

/** |a − b| ≤ 1e-9 · max(1, |b|). */
const close = (actual: string | null | undefined, expected: number) => {
  expect(actual).toBeDefined();
  expect(Math.abs(Number(actual) - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
};

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

  async function open(search = '', ready = 'table tbody tr'): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${s.url}/${search}`, { waitUntil: 'load' });
    await page.waitForSelector(ready, { timeout: 30_000 });
    return page;
  }
  const runId = async (key: string) =>
    (await s.gql<{ runs: { nodes: { id: string }[] } }>(`{ runs(filter: { key: ["${key}"] }) { nodes { id } } }`)).data!.runs.nodes[0]!.id;
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

  it('shows a trajectory whose tooltips carry the fixture’s values, intervals and prompt counts', async () => {
    const key = 'llama-3-3b.alpaca.dpo.synth-support.s0';
    const page = await open(`?view=trajectories&runs=${await runId(key)}&topic=abortion&points=0`, 'figure.chart .plot[data-drawn-ms]');
    const svg = page.locator('figure.chart .plot svg').last();
    const box = (await svg.boundingBox())!;
    let matched = 0;
    for (let fx = 0.02; fx < 1; fx += 0.04) {
      await page.mouse.move(box.x + box.width * fx, box.y + box.height / 2, { steps: 3 });
      await page.waitForTimeout(40);
      const tip = Object.fromEntries(
        await page.$$eval('g[aria-label="tip"] text > tspan', (spans) =>
          spans.map((t) => {
            const label = t.querySelector('tspan')?.textContent ?? '';
            const text = t.textContent!.replace(/^\u200b/, '');
            return [label, text.slice(text.indexOf(label) + label.length + 1)];
          }),
        ),
      ) as Record<string, string>;
      if (!tip.value) continue;
      // A later stage's path starts with a point carrying the previous stage's last value; only
      // checkpoints are in the fixture.
      const v = metrics.values.find((x) => x.run === key && x.topic === 'abortion' && x.stage === tip.stage && String(x.step) === tip.step);
      if (!v) continue;
      matched++;
      close(tip.value, v.support);
      close(tip['CI high'], v.support + v.support_half);
      close(tip['CI low'], v.support - v.support_half);
      expect(tip.n).toBe(String(v.n));
    }
    expect(matched).toBeGreaterThanOrEqual(5);
    await page.close();
  });

  it('attributes the value change of one run as the fixture does', async () => {
    const key = 'llama-3-3b.wildchat.ppo.ultrafeedback.s0';
    const page = await open(`?view=attribution&runs=${await runId(key)}&group=`, 'table[data-table=attribution] tbody tr');
    const expected = metrics.attribution.filter((a) => a.run === key && a.stance === 'support');
    expect(expected.length).toBeGreaterThan(0);
    for (const a of expected)
      for (const [kind, stage] of [
        ['SFT', 'sft'],
        ['PREFERENCE', 'po'],
      ] as const) {
        const share = a.stages.find((x) => x.stage === stage)!.netShare;
        const cell = page.locator(`tr[data-topic="${a.topic}"][data-kind="${kind}"] td[data-value]`).first();
        if (share === null) expect(await cell.getAttribute('data-value')).toBe('');
        else close(await cell.getAttribute('data-value'), share);
      }
    await page.close();
  });

  it('shows R’s ANOVA of the preference stage’s drift magnitude (neutral, algorithm × dataset, type II)', async () => {
    const r = JSON.parse(fs.readFileSync(path.join(EXPECTED, 'anova-neutral-magnitude.json'), 'utf8')) as {
      interaction: { type2: { term: string; df: number; sumSq: number; fValue: number | null; pValue: number | null }[] };
    };
    const page = await open('?view=effects&stance=NEUTRAL', 'table[data-table=anova] tbody tr');
    const rows = await page.$$eval('table[data-table=anova] tbody tr', (trs) =>
      trs.map((tr) => ({
        term: tr.dataset.term!,
        df: tr.querySelectorAll('td')[1]!.textContent,
        values: [...tr.querySelectorAll('td[data-value]')].map((td) => td.getAttribute('data-value')),
      })),
    );
    expect(rows.map((x) => x.term)).toEqual(r.interaction.type2.map((t) => (t.term === 'Residuals' ? t.term : t.term.toUpperCase())));
    for (const [i, t] of r.interaction.type2.entries()) {
      expect(rows[i]!.df).toBe(String(t.df));
      close(rows[i]!.values[0], t.sumSq);
      if (t.fValue !== null) close(rows[i]!.values[1], t.fValue);
      if (t.pValue !== null) expect(Math.abs(Number(rows[i]!.values[2]) - t.pValue)).toBeLessThanOrEqual(1e-8 * t.pValue + 1e-14);
    }
    await page.close();
  });

  it('keeps a private dataset out of the analysis views until a key of its lab is entered', async () => {
    const page = await open('?view=driftmap&f.lab=lab-p', 'main p.empty');
    expect(await page.locator('main').textContent()).toContain('No runs');
    await page.fill('input[type=password]', key);
    await page.click('form.key button[type=submit]');
    await page.waitForSelector('figure.chart .plot[data-drawn-ms]', { timeout: 30_000 });
    expect(await page.locator('figure.chart').textContent()).toContain('p.r0');
    await page.click('header button:text("forget")');
    await page.waitForSelector('main p.empty');
    await page.close();
    // A link naming a private run, opened without its key, says so instead of showing other runs.
    const privateRun = await context.newPage();
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ runs(filter: { lab: ["lab-p"] }) { nodes { id } } }' }),
    });
    const ids = ((await res.json()) as { data: { runs: { nodes: { id: string }[] } } }).data.runs.nodes.map((n) => n.id);
    expect(ids).toHaveLength(2);
    await privateRun.goto(`${s.url}/?view=driftmap&runs=${ids.join(',')}`);
    await privateRun.waitForSelector('main p.empty');
    expect(await privateRun.locator('.scope').textContent()).toContain('0 of 2 selected runs: 2 are not visible');
    await privateRun.close();
  });

  it('serves the page for revalidation and its hashed assets for a year', async () => {
    const index = await fetch(`${s.url}/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = /\/assets\/[^"]+\.js/.exec(await index.text())![0];
    const res = await fetch(`${s.url}${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const zipped = await fetch(`${s.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
  });
});
