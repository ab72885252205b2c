/**
 * The explorer's analysis views on the demo data, in a real headless Chromium with every
 * non-loopback request blocked. Each view draws; the numbers its tooltips and tables show are
 * the API's answer to the query its "open in GraphiQL" link holds, and that query is the one the
 * view's state asks for; deep links restore a view; the downloads are real SVG, PNG and CSV; a
 * click on the drift map opens that trajectory.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadDemo } from '../../src/seed';
import { blockExternal, launchChromium } from '../helpers/browser';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

interface Asked {
  query: string;
  variables: Record<string, unknown>;
}

describe('the explorer’s views on the demo data, offline', () => {
  const dir = tempDir();
  let s: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let external: string[] = [];
  const pageErrors: string[] = [];
  /** Run ids of the DPO and SimPO runs on value-gap (synthetic) preference data. */
  let valueGap: { id: string; key: string }[] = [];

  beforeAll(async () => {
    s = await startServer(path.join(dir, 'demo.duckdb'), []);
    await loadDemo(s.db);
    const runs = await s.gql<{ runs: { nodes: { id: string; key: string }[] } }>(
      '{ runs(first: 200, filter: { algorithm: ["dpo", "simpo"], stageDataset: ["synth-support", "synth-oppose"] }) { nodes { id key } } }',
    );
    valueGap = runs.data!.runs.nodes;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1300, height: 900 }, acceptDownloads: true });
    external = await blockExternal(context);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await s?.close();
  });

  /** Opens a view and waits until every chart on it has been drawn. */
  async function open(search: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${s.url}/${search}`, { waitUntil: 'load' });
    await page.waitForSelector('figure.chart [data-drawn-ms]', { timeout: 30_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('figure.chart .plot')].every((p) => p.hasAttribute('data-drawn-ms')));
    return page;
  }

  /** The query and variables of the view's "open this query in GraphiQL" link, asked of the API. */
  async function asked<T>(page: Page, index = 0): Promise<Asked & { data: T }> {
    const href = await page.locator('a', { hasText: 'open this query in GraphiQL' }).nth(index).getAttribute('href');
    const q = new URL(href!, s.url).searchParams;
    const query = q.get('query')!;
    const variables = JSON.parse(q.get('variables')!) as Record<string, unknown>;
    const answer = await s.gql<T>(query, variables);
    expect(answer.errors).toBeUndefined();
    return { query, variables, data: answer.data! };
  }

  /** Moves the pointer across the chart and collects every distinct tooltip, as label → value. */
  async function tips(page: Page, figure = 0, ys = [0.3, 0.5, 0.7]): Promise<Record<string, string>[]> {
    const svg = page.locator('figure.chart .plot').nth(figure).locator(':scope > svg, :scope > figure > svg').last();
    const box = (await svg.boundingBox())!;
    const seen = new Map<string, Record<string, string>>();
    for (const fy of ys)
      for (const fx of [0.15, 0.35, 0.55, 0.75, 0.95]) {
        await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 4 });
        await page.waitForTimeout(50);
        const lines = await page.$$eval('g[aria-label="tip"] text > tspan', (spans) =>
          spans.map((t) => [t.querySelector('tspan')?.textContent ?? '', t.textContent!.replace(/^\u200b/, '')]),
        );
        if (!lines.length) continue;
        const tip = Object.fromEntries(lines.map(([label, text]) => [label, text!.slice(text!.indexOf(label!) + label!.length + 1)]));
        seen.set(JSON.stringify(tip), tip);
      }
    return [...seen.values()];
  }

  it('the analyst’s path: picks DPO and SimPO runs on value-gap data and sees every analysis of them', async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${s.url}/`);
    await page.waitForSelector('tbody tr');
    await page.fill('input[aria-label="filter Algorithm"]', 'dpo, simpo');
    await page.fill('input[aria-label="filter Preference data"]', 'synth');
    await page.waitForFunction((n) => document.querySelectorAll('tbody tr').length === n, valueGap.length);
    await page.click('button:text("select shown")');
    expect(new URL(page.url()).searchParams.get('runs')!.split(',').sort()).toEqual(valueGap.map((r) => r.id).sort());
    const ask = (view: string) => page.click(`header nav a:text("${view}")`);
    const drawn = () => page.waitForSelector('figure.chart .plot[data-drawn-ms]');

    await ask('Trajectories');
    await drawn();
    expect(await page.locator('.summary').first().textContent()).toContain(`of ${valueGap.length} runs`);
    expect(await page.locator('figure.chart g[aria-label="area"]').count()).toBe(1); // the bands
    await ask('Groups');
    await drawn();
    expect((await asked<{ groupedTrajectories: { label: string }[] }>(page)).data.groupedTrajectories.map((g) => g.label)).toEqual(
      expect.arrayContaining(['ALGORITHM=dpo', 'ALGORITHM=simpo']),
    );
    await ask('Attribution');
    await page.waitForSelector('table[data-table=attribution] tr[data-kind="SFT"]');
    await ask('Effects');
    await page.waitForSelector('table[data-table=anova] tr[data-term="ALGORITHM:DATASET"]');
    expect(await page.locator('.summary').textContent()).toContain(`${valueGap.length} observations`);
    for (const name of ['download SVG', 'download PNG', 'download CSV'])
      expect(await page.locator(`button:text("${name}")`).count()).toBeGreaterThan(0);
    await page.close();
  });

  it('draws every view on the demo data with no request leaving the machine', async () => {
    for (const view of ['trajectories', 'groups', 'attribution', 'driftmap', 'effects']) {
      const page = await open(`?view=${view}&topic=immigration`);
      expect(await page.locator('figure.chart svg').count()).toBeGreaterThan(0);
      expect(await page.locator('.error').count()).toBe(0);
      await page.close();
    }
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('trajectories: asks for the selected runs, names the stages, and its tooltips show the API’s exact numbers', async () => {
    const picked = valueGap.slice(0, 4).map((r) => r.id);
    const page = await open(`?view=trajectories&runs=${picked.join(',')}&topic=immigration&points=0`);
    const { variables, data } = await asked<{
      trajectories: {
        runKey: string;
        stance: string;
        points: { stage: string; globalStep: number; value: number; ciLow: number; ciHigh: number; n: number }[];
      }[];
    }>(page);
    expect(variables).toMatchObject({ runIds: picked, topics: ['immigration'], stances: ['SUPPORT'] });
    expect(variables.maxPoints).toBeUndefined();
    expect(data.trajectories).toHaveLength(4);
    // Stage boundaries are drawn and named after the manifest's stages.
    const labels = await page.locator('figure.chart svg g[aria-label="text"] text').allTextContents();
    expect(labels).toEqual(expect.arrayContaining(['sft', 'po']));

    const seen = await tips(page);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const tip of seen) {
      const t = data.trajectories.find((x) => x.runKey === tip.run);
      const p = t?.points.find((x) => String(x.globalStep) === tip['global step'] && x.stage === tip.stage);
      expect(p).toBeDefined();
      expect(tip.value).toBe(String(p!.value));
      expect(tip['CI low']).toBe(String(p!.ciLow));
      expect(tip['CI high']).toBe(String(p!.ciHigh));
      expect(tip.n).toBe(String(p!.n));
    }
    await page.close();
  });

  it('trajectories: the point budget and smoothing controls change the question, and the URL keeps them', async () => {
    const picked = valueGap.slice(0, 2).map((r) => r.id);
    const page = await open(`?view=trajectories&runs=${picked.join(',')}&topic=abortion`);
    await page.selectOption('select[aria-label="point budget"]', '20');
    await page.selectOption('select[aria-label="smoothing"]', '0.3');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('alpha') === '0.3');
    await page.waitForSelector('figure.chart .plot[data-drawn-ms]');
    const { variables, data } = await asked<{ trajectories: { points: unknown[] }[] }>(page);
    expect(variables).toMatchObject({ maxPoints: 20, smoothing: { method: 'EMA', alpha: 0.3 } });
    for (const t of data.trajectories) expect(t.points.length).toBeLessThanOrEqual(20);
    const url = new URL(page.url());
    expect(url.searchParams.get('points')).toBe('20');
    const again = await open(url.search);
    expect(await again.locator('select[aria-label="point budget"]').inputValue()).toBe('20');
    expect(await again.locator('select[aria-label="smoothing"]').inputValue()).toBe('0.3');
    expect(await again.locator('select[aria-label="topic"]').inputValue()).toBe('abortion');
    await page.close();
    await again.close();
  });

  it('groups: a deep link restores the grouping, and the table and tooltips equal the API’s group means', async () => {
    const ids = valueGap.map((r) => r.id);
    const page = await open(`?view=groups&runs=${ids.join(',')}&group=ALGORITHM,DATASET&topic=immigration&stance=OPPOSE`);
    expect(await page.locator('input[aria-label="group by ALGORITHM"]').isChecked()).toBe(true);
    expect(await page.locator('input[aria-label="group by DATASET"]').isChecked()).toBe(true);
    expect(await page.locator('input[aria-label="group by MODEL"]').isChecked()).toBe(false);
    expect(await page.locator('select[aria-label="stance"]').inputValue()).toBe('OPPOSE');
    const { variables, data } = await asked<{
      groupedTrajectories: { label: string; stages: { stage: string; points: { progress: number; mean: number | null; n: number }[] }[] }[];
    }>(page);
    expect(variables).toMatchObject({ groupBy: ['ALGORITHM', 'DATASET'], runIds: ids, topics: ['immigration'], stances: ['OPPOSE'] });
    // DPO and SimPO × synth-support and synth-oppose: four groups.
    expect(data.groupedTrajectories.map((g) => g.label).sort()).toEqual([
      'ALGORITHM=dpo, DATASET=synth-oppose',
      'ALGORITHM=dpo, DATASET=synth-support',
      'ALGORITHM=simpo, DATASET=synth-oppose',
      'ALGORITHM=simpo, DATASET=synth-support',
    ]);
    const rows = await page.$$eval('table[data-table=groups] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-value') ?? td.textContent)),
    );
    const expected = data.groupedTrajectories.flatMap((g) =>
      g.stages.map((st) => [g.label, st.stage, st.points.filter((p) => p.mean !== null).at(-1)?.mean ?? '']),
    );
    expect(rows.map((r) => [r[0], r[4], r[5] === '' ? '' : Number(r[5])])).toEqual(expected);

    const seen = await tips(page);
    expect(seen.length).toBeGreaterThan(0);
    for (const tip of seen) {
      const g = data.groupedTrajectories.find((x) => x.label === tip.group);
      const p = g?.stages.find((st) => st.stage === tip.stage)?.points.find((x) => String(x.progress) === tip.progress);
      expect(p).toBeDefined();
      expect(tip.mean).toBe(String(p!.mean));
      expect(tip.n).toBe(String(p!.n));
    }
    await page.close();
  });

  it('attribution: the shares per topic and stage kind equal attributionSummary', async () => {
    const ids = valueGap.map((r) => r.id);
    const page = await open(`?view=attribution&runs=${ids.join(',')}&group=`);
    const { variables, data } = await asked<{
      attributionSummary: {
        topic: string;
        kinds: { stageKind: string; netShare: { mean: number; ciLow: number; ciHigh: number; n: number } | null }[];
      }[];
    }>(page);
    expect(variables).toMatchObject({ groupBy: [], runIds: ids, stances: ['SUPPORT'] });
    const shown = await page.$$eval('table[data-table=attribution] tbody tr', (trs) =>
      trs.map((tr) => ({
        topic: tr.dataset.topic,
        kind: tr.dataset.kind,
        share: tr.querySelectorAll('td')[3]!.getAttribute('data-value'),
      })),
    );
    const expected = data.attributionSummary.flatMap((a) =>
      a.kinds.map((k) => ({ topic: a.topic, kind: k.stageKind, share: String(k.netShare?.mean ?? '') })),
    );
    expect(shown).toEqual(expected);
    // Every demo topic has an SFT and a preference share.
    expect(new Set(shown.map((r) => r.kind))).toEqual(new Set(['SFT', 'PREFERENCE']));
    await page.close();
  });

  it('drift map: a cell’s tooltip shows the API’s drift magnitude and time, and a click opens that trajectory', async () => {
    const ids = valueGap.slice(0, 6).map((r) => r.id);
    const page = await open(`?view=driftmap&runs=${ids.join(',')}`);
    const { data } = await asked<{
      driftMetrics: { runId: string; runKey: string; topic: string; stageKind: string; magnitude: number; driftTime: number }[];
    }>(page);
    expect(await page.locator('g[aria-label="cell"] rect').count()).toBe(
      data.driftMetrics.filter((m) => m.stageKind === 'PREFERENCE').length,
    );
    const seen = await tips(page, 0, [0.2, 0.4]);
    expect(seen.length).toBeGreaterThan(0);
    for (const tip of seen) {
      const m = data.driftMetrics.find((x) => x.runKey === tip.run && x.topic === tip.topic && x.stageKind === 'PREFERENCE');
      expect(tip.magnitude).toBe(String(m!.magnitude));
      expect(tip['drift time']).toBe(String(m!.driftTime));
    }
    // The pointer rests on the last cell visited; a click there opens its trajectory.
    const last = seen.at(-1)!;
    await page.mouse.down();
    await page.mouse.up();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'trajectories');
    const url = new URL(page.url());
    const run = data.driftMetrics.find((x) => x.runKey === last.run)!;
    expect(url.searchParams.get('runs')).toBe(run.runId);
    expect(url.searchParams.get('topic')).toBe(last.topic);
    await page.waitForSelector('figure.chart .plot[data-drawn-ms]');
    await page.close();
  });

  it('effects: the ANOVA table and the pairwise comparisons equal the API’s effectDecomposition', async () => {
    const page = await open(`?view=effects`);
    const { variables, data } = await asked<{
      effectDecomposition: {
        terms: { term: string; df: number; sumSq: number; fValue: number; pValue: number; etaSq: number }[];
        residual: { df: number; sumSq: number };
        pairwise: { comparisons: { within: string; levelA: string; levelB: string; difference: number }[] };
      };
    }>(page);
    expect(variables).toMatchObject({
      input: { outcome: 'DRIFT_MAGNITUDE', stance: 'SUPPORT', factors: ['ALGORITHM', 'DATASET'], sumOfSquares: 'TYPE_II' },
    });
    const e = data.effectDecomposition;
    const anova = await page.$$eval('table[data-table=anova] tbody tr', (trs) =>
      trs.map((tr) => [tr.dataset.term, ...[...tr.querySelectorAll('td[data-value]')].map((td) => td.getAttribute('data-value'))]),
    );
    expect(anova).toEqual([
      ...e.terms.map((t) => [t.term, String(t.sumSq), String(t.fValue), String(t.pValue), String(t.etaSq)]),
      ['Residuals', String(e.residual.sumSq)],
    ]);
    expect(anova.map((r) => r[0])).toEqual(['ALGORITHM', 'DATASET', 'ALGORITHM:DATASET', 'Residuals']);
    const pairs = await page.$$eval('table[data-table=pairwise] tbody tr', (trs) =>
      trs.map((tr) => [tr.dataset.pair, tr.querySelector('td[data-value]')!.getAttribute('data-value')]),
    );
    expect(pairs).toEqual(e.pairwise.comparisons.map((c) => [`${c.within}: ${c.levelA} − ${c.levelB}`, String(c.difference)]));
    expect(await page.locator('figure.chart').count()).toBe(3);
    await page.close();
  });

  it('effects: says what to change when the selection cannot be analysed', async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${s.url}/?view=effects&runs=${valueGap[0]!.id}`);
    const error = await page.waitForSelector('main p.error');
    const text = (await error.textContent())!;
    const api = await s.gql(
      `query ($runIds: [ID!]) { effectDecomposition(input: { outcome: DRIFT_MAGNITUDE, stance: SUPPORT, runIds: $runIds, pairwise: { factor: ALGORITHM, within: DATASET } }) { n } }`,
      { runIds: [valueGap[0]!.id] },
    );
    expect(api.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(text).toBe(api.errors![0]!.message);
    await page.close();
  });

  it('downloads each figure as SVG and PNG and its data as CSV', async () => {
    const picked = valueGap.slice(0, 3).map((r) => r.id);
    const page = await open(`?view=trajectories&runs=${picked.join(',')}&topic=immigration`);
    const save = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button', { hasText: button }).first().click()]);
      const file = path.join(dir, download.suggestedFilename());
      await download.saveAs(file);
      return { name: download.suggestedFilename(), bytes: fs.readFileSync(file) };
    };
    const svg = await save('download SVG');
    expect(svg.name).toBe('driftql-trajectories.svg');
    const text = svg.bytes.toString('utf8');
    expect(text).toMatch(/^<\?xml[^>]*>\s*<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    // The legend's run names travel with the figure.
    for (const r of valueGap.slice(0, 3)) expect(text).toContain(r.key);

    const png = await save('download PNG');
    expect(png.name).toBe('driftql-trajectories.png');
    expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const box = (await page.locator('figure.chart .plot').boundingBox())!;
    // IHDR: width and height at twice the page's resolution.
    expect(png.bytes.readUInt32BE(16)).toBe(Math.ceil(box.width * 2));

    const csv = await save('download CSV');
    const lines = csv.bytes.toString('utf8').trim().split('\n');
    expect(lines[0]).toBe('runId,runKey,topic,stance,stage,stageKind,step,globalStep,progress,value,ciLow,ciHigh,n');
    const { data } = await asked<{ trajectories: { points: unknown[] }[] }>(page);
    expect(lines.length - 1).toBe(data.trajectories.reduce((a, t) => a + t.points.length, 0));
    await page.close();
  });

  it('moves between views with the selection kept, and Back returns to the last view', async () => {
    const picked = valueGap.slice(0, 2).map((r) => r.id);
    const page = await open(`?view=trajectories&runs=${picked.join(',')}&topic=immigration`);
    await page.click('header nav a:text("Effects")');
    await page.waitForSelector('table[data-table=anova], main p.error');
    expect(new URL(page.url()).searchParams.get('runs')).toBe(picked.join(','));
    expect(await page.locator('.scope').textContent()).toContain('2 selected runs');
    await page.goBack();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'trajectories');
    await page.waitForSelector('figure.chart .plot[data-drawn-ms]');
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});
