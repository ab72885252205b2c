/**
 * `npm run bench:explorer [-- --reps 10] [--heavy-reps 3] [--scale M] [--topic <name>]`
 *   (`-- --render` only rewrites the report from its JSON)
 *
 * The explorer (dist/explorer, served at `/`) measured in headless Chromium (playwright-core,
 * system Chromium), every time taken inside the page with performance.now() (0 = navigation start):
 * 1. First view on the demo data: a server on an empty database loads the demo seed, as `npm
 *    start` does; `/?view=runs` until the runs table holds every run (a MutationObserver notes the
 *    moment the last row is in the DOM, then the first frame after it: requestAnimationFrame +
 *    setTimeout 0, as the explorer times its charts), with DOMContentLoaded, load and first
 *    contentful paint from the Navigation and Paint Timing APIs and the JS bundle's sizes from
 *    Resource Timing.
 * 2. Trajectory charts at the scale (M: 100 runs): `/?view=trajectories&runs=<every run>&...` for
 *    one topic and stance (the default point budget, bands on); every topic, every point (`reps`
 *    repetitions); every topic × every stance, every point (`heavy-reps`). Each with the explorer's
 *    own timing (window.driftqlTimings: answer arrived → Plot returned, → first
 *    frame after the chart was inserted) beside the GraphQL request's own (fetch called → last
 *    byte, Resource Timing; → JSON parsed, a fetch wrapper). The server's result cache is off, so
 *    every answer is computed.
 * 3. The same trajectories request from this process (no browser) against hand-written DuckDB SQL
 *    over bench/run.ts's raw database (bench/queries.ts), when run.ts left it in bench/out/<scale>.
 * Each browser case: 1 untimed load, then `reps` repetitions, each a cold load (a fresh browser
 * context: empty cache, new connection) followed by a warm one (the same page reloaded in one
 * context kept for the case: cached bundle, open connection).
 *
 * Writes bench/EXPLORER.md and bench/explorer-results.json. The servers and Chromium it starts
 * are stopped at the end, on error, on SIGINT/SIGTERM and after a watchdog.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import { DriftDb } from '../src/db/client';
import { sqlString } from '../src/db/sql';
import { ROOT } from '../src/paths';
import {
  BenchServer,
  SERVER_ENV,
  benchTempDir,
  cleanupOnExit,
  compare,
  log,
  machine,
  sleep,
  median,
  options,
  quantile,
  report,
  round,
  type Stat,
} from './common';
import { SCALES, type Scale } from './generate';
import { FROM_CP, FROM_RAW, ORDERED, allRuns, gqlCall, type Source } from './queries';

const VERSION = 1;
const NAME = 'explorer';
const WATCHDOG_MS = 15 * 60_000;
const VIEWPORT = { width: 1280, height: 720 };
const TARGETS = { firstViewMs: 2000, chartDrawnMs: 1000 };

let browser: Browser | null = null;
process.on('exit', () => {
  // Playwright kills the browser it launched when this process exits; this is for the record.
  if (browser?.isConnected()) log('Chromium still connected at exit');
});
cleanupOnExit(WATCHDOG_MS);

interface Args {
  reps: number;
  /** repetitions of the heaviest chart (every topic × every stance), in the browser and from Node */
  heavyReps: number;
  scale: Scale;
  topic: string | null;
}

function parseArgs(argv: string[]): Args {
  const { get, num, scale } = options(argv);
  return { reps: num('reps', 10, 1, 100), heavyReps: num('heavy-reps', 3, 0, 100), scale: scale(), topic: get('topic', '') || null };
}

// ---------------------------------------------------------------------------------------------
// In the page. The init script runs before the explorer's bundle in every document: it stamps
// each window.driftqlTimings entry with the moment it was pushed (so answer arrival = at -
// drawnMs on the page's clock), records every fetch (operation, start, headers, JSON parsed),
// and, for the runs table, notes when its tbody first holds `rows` rows.

interface FetchRecord {
  op: string;
  start: number;
  headers: number | null;
  parsed: number | null;
}
interface TimingRecord {
  figure: string;
  buildMs: number;
  drawnMs: number;
  marks: number;
  at: number;
}
interface BenchWindow {
  driftqlTimings: TimingRecord[];
  driftqlBench: { fetches: FetchRecord[]; rowsAt: number | null; rowsPaintedAt: number | null };
}

function instrument(expect: { rows: number }): void {
  const w = window as unknown as BenchWindow;
  const timings: TimingRecord[] = [];
  Object.defineProperty(timings, 'push', {
    value(...items: TimingRecord[]) {
      const at = performance.now();
      for (const t of items) t.at = at;
      return Array.prototype.push.apply(this, items);
    },
  });
  w.driftqlTimings = timings;
  const bench: BenchWindow['driftqlBench'] = { fetches: [], rowsAt: null, rowsPaintedAt: null };
  w.driftqlBench = bench;
  const send = window.fetch;
  window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
    let op = '';
    try {
      const body = JSON.parse(String(init?.body ?? '{}')) as { query?: string };
      op = /^\s*(?:query|mutation)\s+(\w+)/.exec(body.query ?? '')?.[1] ?? '';
    } catch {
      /* not GraphQL */
    }
    const rec: FetchRecord = { op, start: performance.now(), headers: null, parsed: null };
    bench.fetches.push(rec);
    return send.call(this, input, init).then((res) => {
      rec.headers = performance.now();
      const json = res.json.bind(res);
      res.json = () =>
        json().then((v: unknown) => {
          rec.parsed = performance.now();
          return v;
        });
      return res;
    });
  };
  if (expect.rows > 0) {
    const seen = new MutationObserver(() => {
      if (document.querySelectorAll('table tbody tr').length < expect.rows) return;
      bench.rowsAt = performance.now();
      seen.disconnect();
      requestAnimationFrame(() => setTimeout(() => (bench.rowsPaintedAt = performance.now())));
    });
    seen.observe(document, { childList: true, subtree: true });
  }
}

interface PageSample {
  /** Navigation Timing: DOMContentLoaded and load event ends, the HTML's last byte (ms from navigation start) */
  domContentLoaded: number;
  load: number;
  htmlResponseEnd: number;
  firstContentfulPaint: number | null;
  /** the explorer's JS bundle, Resource Timing (transfer 0 = served from the browser's cache) */
  bundle: { name: string; transferSize: number; encodedBodySize: number; decodedBodySize: number; duration: number } | null;
  fetches: (FetchRecord & {
    /** the Resource Timing entry paired with this fetch: its startTime (to check the pairing), first and last byte, sizes */
    entryStart: number | null;
    responseStart: number | null;
    responseEnd: number | null;
    transferSize: number | null;
    decodedBodySize: number | null;
  })[];
  timings: TimingRecord[];
  rowsAt: number | null;
  rowsPaintedAt: number | null;
  rows: number;
  summary: string | null;
  error: string | null;
}

/** What the page measured, once `ready` holds. */
async function collect(page: Page): Promise<PageSample> {
  return page.evaluate(() => {
    const w = window as unknown as BenchWindow;
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    const js = resources.find((r) => /\/assets\/.*\.js$/.test(r.name));
    const gql = resources.filter((r) => r.initiatorType === 'fetch' && r.name.endsWith('/graphql'));
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return {
      domContentLoaded: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
      htmlResponseEnd: nav.responseEnd,
      firstContentfulPaint: fcp ? fcp.startTime : null,
      bundle: js
        ? {
            name: js.name.replace(/^.*\/assets\//, 'assets/'),
            transferSize: js.transferSize,
            encodedBodySize: js.encodedBodySize,
            decodedBodySize: js.decodedBodySize,
            duration: js.duration,
          }
        : null,
      // Resource Timing's entry of each finished fetch: an entry appears once its body is in
      // (before the JSON is parsed), its startTime is the call's time, fetch records are pushed
      // at the call: in call order, the k-th finished fetch and the k-th entry belong together
      // when there are as many of each.
      fetches: (() => {
        const entries = [...gql].sort((a, b) => a.startTime - b.startTime);
        const done = w.driftqlBench.fetches.filter((f) => f.parsed !== null);
        const paired = entries.length === done.length;
        return w.driftqlBench.fetches.map((f) => {
          const e = paired && done.includes(f) ? entries[done.indexOf(f)]! : null;
          return {
            ...f,
            entryStart: e ? e.startTime : null,
            responseStart: e ? e.responseStart : null,
            responseEnd: e ? e.responseEnd : null,
            transferSize: e ? e.transferSize : null,
            decodedBodySize: e ? e.decodedBodySize : null,
          };
        });
      })(),
      timings: [...w.driftqlTimings],
      rowsAt: w.driftqlBench.rowsAt,
      rowsPaintedAt: w.driftqlBench.rowsPaintedAt,
      rows: document.querySelectorAll('table tbody tr').length,
      summary: document.querySelector('p.summary')?.textContent ?? null,
      error: document.querySelector('.error')?.textContent ?? null,
    };
  });
}

/** What a load waits for: the runs table's rows painted, or the trajectory chart drawn. */
type Ready = 'rows' | 'chart';

/**
 * Loads `url` (or reloads) and waits until `ready` holds in the page, or an error is shown. The
 * page must come with HTTP 200: while another build replaces dist/explorer, the server answers
 * 404 for a moment; such a load is retried (and counted), not measured.
 */
async function load(page: Page, url: string | null, ready: Ready): Promise<PageSample> {
  for (let attempt = 1; ; attempt++) {
    const res = url ? await page.goto(url, { waitUntil: 'commit' }) : await page.reload({ waitUntil: 'commit' });
    if (res?.status() === 200) break;
    retries++;
    if (attempt >= 10) throw new Error(`the explorer page answered HTTP ${res?.status()} ${attempt} times in a row`);
    log(`    the page answered HTTP ${res?.status()} (dist/explorer being rebuilt?): retrying in 2 s`);
    await sleep(2000);
  }
  await page.waitForFunction(
    (what) => {
      const w = window as unknown as Partial<BenchWindow>;
      if (document.querySelector('.error')) return true;
      if (what === 'rows') return w.driftqlBench?.rowsPaintedAt != null;
      return !!w.driftqlTimings?.some((t) => t.figure === 'driftql-trajectories');
    },
    ready,
    { timeout: 120_000, polling: 100 },
  );
  await page.waitForFunction(
    () => ((performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.loadEventEnd ?? 0) > 0,
    undefined,
    { timeout: 60_000, polling: 50 },
  );
  const s = await collect(page);
  if (s.error) throw new Error(`the explorer showed an error at ${url ?? 'reload'}: ${s.error}`);
  return s;
}

/** Page loads retried because the page did not answer 200. */
let retries = 0;

async function newPage(rows: number): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser!.newContext({ viewport: VIEWPORT });
  await context.addInitScript(instrument, { rows });
  return { context, page: await context.newPage() };
}

/**
 * One case: 1 untimed load, then `reps` times a cold load (fresh context) and a warm one (reload
 * in the case's long-lived context), alternating so that noise on the machine falls on both.
 */
async function browserCase(url: string, ready: Ready, rows: number, reps: number): Promise<{ cold: PageSample[]; warm: PageSample[] }> {
  const warmCtx = await newPage(rows);
  try {
    await load(warmCtx.page, url, ready); // untimed: the server's first answer, the browser's first page
    const cold: PageSample[] = [];
    const warm: PageSample[] = [];
    for (let i = 0; i < reps; i++) {
      const c = await newPage(rows);
      try {
        cold.push(await load(c.page, url, ready));
      } finally {
        await c.context.close();
      }
      warm.push(await load(warmCtx.page, null, ready));
    }
    return { cold, warm };
  } finally {
    await warmCtx.context.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Results

interface Summary {
  p50: number;
  p90: number;
  min: number;
  max: number;
  samples: number[];
}
/** Over the finite samples (a time the page could not take is NaN, kept in `samples` as null). */
const summary = (all: number[]): Summary => {
  const xs = all.filter(Number.isFinite);
  return {
    p50: round(median(xs), 1),
    p90: round(quantile(xs, 0.9), 1),
    min: xs.length ? round(Math.min(...xs), 1) : NaN,
    max: xs.length ? round(Math.max(...xs), 1) : NaN,
    samples: all.map((x) => round(x, 1)),
  };
};

interface FirstView {
  rows: number;
  /** Navigation start → last row in the DOM; → first frame after it (the headline); DCL; load; FCP */
  rowsInDom: Summary;
  rowsPainted: Summary;
  domContentLoaded: Summary;
  load: Summary;
  firstContentfulPaint: Summary;
  /** Navigation start → the first Runs fetch called; its first byte (the server's part); the last page's answer parsed */
  runsRequested: Summary;
  runsFirstByte: Summary;
  runsAnswered: Summary;
}

interface FirstViewResult {
  serverEnv: Record<string, string>;
  seedSeconds: number;
  runs: number;
  bundle: {
    file: string;
    bytes: number;
    gzipBytes: number;
    contentEncoding: string | null;
    cacheControl: string | null;
    /** Resource Timing of the bundle: bytes over the wire (headers included) cold and warm, encoded and decoded body */
    transferCold: number;
    transferWarm: number;
    encodedBodySize: number;
    decodedBodySize: number;
  } | null;
  cold: FirstView;
  warm: FirstView;
  /** the explorer's Runs request (its body as the page sent it, the same Accept-Encoding) from this process */
  runsFromNode: Stat;
  runsEncoding: string | null;
}

interface ChartView {
  /** fetch of Trajectories called → first byte, → last byte (Resource Timing), → JSON parsed */
  requestToFirstByte: Summary;
  requestToLastByte: Summary;
  requestToParsed: Summary;
  /** JSON parsed → the explorer's answeredAt (its state set) */
  parsedToAnswered: Summary;
  /** the explorer's: answer arrived → Plot.plot returned; → first frame after the chart was inserted */
  buildMs: Summary;
  drawnMs: Summary;
  /** navigation start → Trajectories fetch called (runs and topics loaded first); → chart drawn */
  navToRequest: Summary;
  navToDrawn: Summary;
  answerBytes: number | null;
  answerTransferBytes: number | null;
  /** the Topics request (sent at page start): fetch called → JSON parsed; in how many samples it was still running when Trajectories was asked */
  topicsRequestToParsed: Summary;
  topicsStillRunning: number;
}

interface ChartCase {
  name: string;
  reps: number;
  what: string;
  query: string;
  summary: string | null;
  marks: number;
  cold: ChartView;
  warm: ChartView;
  /** Content-Encoding of the answer as the browser got it (the Node side accepts the same) */
  answerEncoding: string | null;
  /** the same request from this process, and the SQL baselines, taking turns */
  server: { graphql: Stat; raw: Stat | null; mat: Stat | null; rawRows: number | null; reps: number };
}

interface Results {
  version: number;
  scale: Scale;
  args: Args;
  machineAtStart: ReturnType<typeof machine>;
  machineAtEnd: ReturnType<typeof machine>;
  chromium: string;
  viewport: typeof VIEWPORT;
  targets: typeof TARGETS;
  /** page loads retried because the page answered other than 200 (another build replacing dist/explorer) */
  pageRetries: number;
  /** the explorer bundles the samples loaded: more than one means dist/explorer was rebuilt during the run */
  bundlesSeen: string[];
  firstView: FirstViewResult;
  chart: {
    database: string;
    rawDatabase: string | null;
    serverEnv: Record<string, string>;
    runs: number;
    topics: string[];
    cases: ChartCase[];
    /** the explorer's Topics request from this process, alone */
    topicsFromNode: Stat | null;
  };
  samples: { firstView: { cold: PageSample[]; warm: PageSample[] }; charts: Record<string, { cold: PageSample[]; warm: PageSample[] }> };
}

function firstViewOf(samples: PageSample[]): FirstView {
  const runsOf = (s: PageSample) => s.fetches.filter((f) => f.op === 'Runs');
  return {
    rows: samples[0]!.rows,
    rowsInDom: summary(samples.map((s) => s.rowsAt ?? NaN)),
    rowsPainted: summary(samples.map((s) => s.rowsPaintedAt ?? NaN)),
    domContentLoaded: summary(samples.map((s) => s.domContentLoaded)),
    load: summary(samples.map((s) => s.load)),
    firstContentfulPaint: summary(samples.map((s) => s.firstContentfulPaint ?? NaN)),
    runsRequested: summary(samples.map((s) => runsOf(s)[0]?.start ?? NaN)),
    runsFirstByte: summary(samples.map((s) => runsOf(s)[0]?.responseStart ?? NaN)),
    runsAnswered: summary(samples.map((s) => runsOf(s).at(-1)?.parsed ?? NaN)),
  };
}

function chartViewOf(samples: PageSample[]): ChartView {
  const topicsOf = (s: PageSample) => s.fetches.filter((f) => f.op === 'Topics');
  const parts = samples.map((s) => {
    const f = s.fetches.filter((x) => x.op === 'Trajectories').at(-1)!;
    const t = s.timings.filter((x) => x.figure === 'driftql-trajectories').at(-1)!;
    const answered = t.at - t.drawnMs;
    return { f, t, answered };
  });
  const last = parts.at(-1)!.f;
  return {
    requestToFirstByte: summary(parts.map((p) => (p.f.responseStart ?? NaN) - p.f.start)),
    requestToLastByte: summary(parts.map((p) => (p.f.responseEnd ?? NaN) - p.f.start)),
    requestToParsed: summary(parts.map((p) => (p.f.parsed ?? NaN) - p.f.start)),
    parsedToAnswered: summary(parts.map((p) => p.answered - (p.f.parsed ?? NaN))),
    buildMs: summary(parts.map((p) => p.t.buildMs)),
    drawnMs: summary(parts.map((p) => p.t.drawnMs)),
    navToRequest: summary(parts.map((p) => p.f.start)),
    navToDrawn: summary(parts.map((p) => p.t.at)),
    answerBytes: last.decodedBodySize,
    answerTransferBytes: last.transferSize,
    topicsRequestToParsed: summary(samples.map((s) => topicsOf(s).map((f) => (f.parsed ?? NaN) - f.start)[0] ?? NaN)),
    topicsStillRunning: parts.filter((p, i) => {
      const t = topicsOf(samples[i]!)[0];
      return t && (t.parsed ?? Infinity) > p.f.start;
    }).length,
  };
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** p50 / p90 with 10 samples or more, p50 / max under 10. */
const ms = (s: Summary) => {
  if (!Number.isFinite(s.p50)) return 'n/a';
  return `${s.p50.toFixed(0)} / ${(s.samples.length >= 10 ? s.p90 : s.max).toFixed(0)} ms`;
};
const spread = (n: number) => (n >= 10 ? `p50 / p90 of ${n}` : `p50 / max of ${n}`);
const kib = (b: number | null | undefined) =>
  b === null || b === undefined || !Number.isFinite(b) ? 'n/a' : `${(b / 1024).toFixed(1)} KiB`;
const met = (s: Summary, target: number) => `${s.p50 <= target ? 'yes' : '**no**'} / ${s.max <= target ? 'yes' : '**no**'}`;
const envList = (env: Record<string, string>) =>
  Object.entries(env)
    .map(([k, v]) => `\`${k}=${v}\``)
    .join(', ');

function render(r: Results): string {
  const m = r.machineAtStart;
  const fv = r.firstView;
  const c = r.chart;
  const lines: string[] = [
    '# The explorer in the browser: first view and trajectory charts',
    '',
    `Generated by \`npm run bench:explorer\` (bench/explorer.ts) on ${m.date.slice(0, 16).replace('T', ' ')} UTC; every sample is in` +
      ' `bench/explorer-results.json`. The servers, Chromium and the bench script share one machine and talk over 127.0.0.1.',
    '',
    '## Machine',
    '',
    `${m.cpus} × ${m.cpuModel.split(' ').slice(0, 2).join(' ')}, ${m.memGiB} GiB, ${m.platform}, Node ${m.node}; ${r.chromium} headless` +
      ` (playwright-core; the flags of test/helpers/browser.ts, so \`--disable-gpu\`: software rendering), viewport ${r.viewport.width}×${r.viewport.height}.` +
      ` **Only ${m.cpus} cores**, shared with other work: load average (1, 5, 15 min) ${m.loadAverage.join(', ')} at the start and` +
      ` ${r.machineAtEnd.loadAverage.join(', ')} at the end (on 2 cores, 2 is already full), so absolute times are inflated and noisy.`,
    '',
    `Explorer bundle: ${r.bundlesSeen.map((b) => `\`${b}\``).join(', ')}` +
      (r.bundlesSeen.length > 1
        ? ' (**more than one**: dist/explorer was rebuilt by other work during the run)'
        : ' (the same in every sample)') +
      `; page loads retried because the page did not answer 200 (dist/explorer being replaced by another build): ${r.pageRetries}.`,
    '',
    '## Method',
    '',
    '- **Clock.** Every browser time is `performance.now()` inside the page, whose zero is the navigation start.',
    "- **Cold and warm.** Each case gets 1 untimed load (the server's and the browser's first time), then N repetitions of a **cold**" +
      ' load (a fresh browser context: empty HTTP cache, new connection, new renderer) followed by a **warm** one (the same page' +
      ' reloaded in one context kept for the whole case: bundle from the HTTP cache, connection open). Cold and warm alternate so' +
      ' that noise on the machine falls on both. Quoted: p50 / p90 with 10 samples or more, p50 / max under 10.',
    "- **First view interactive** (demo data, `/?view=runs`). A MutationObserver installed before the page's scripts notes the" +
      " moment the runs table's `tbody` holds every run (it fires right after the Preact commit that inserted the rows, whose" +
      ' handlers are attached by then); the headline is the first frame after that moment (`requestAnimationFrame`, then' +
      ' `setTimeout 0`, as the explorer times its charts): the rows are laid out and painted and the main thread is free for input.' +
      ' DOMContentLoaded and load are the event ends of the Navigation Timing entry, first contentful paint comes from Paint' +
      " Timing, the bundle's sizes from Resource Timing and its headers from the response the browser got.",
    "- **Chart drawn** (scale data, `/?view=trajectories&runs=…`). The explorer's own timing, `window.driftqlTimings`: `drawnMs`" +
      " runs from the answer's arrival (`performance.now()` when the typed client's promise resolved and the view's state was set)" +
      " to the first frame after Plot's chart was inserted (rAF + setTimeout 0); `buildMs` to when `Plot.plot` returned. The bench" +
      " stamps each entry with the moment it was pushed, so the answer's arrival is known on the page's clock too. The GraphQL" +
      ' request is timed in the page: a wrapper around `fetch` notes when the explorer called it and when its JSON was parsed,' +
      ' Resource Timing gives the first and last byte. A view opened from a link asks for its trajectories as soon as the page' +
      ' runs, beside the Runs and Topics queries, so navigation → drawn holds the page load and shares the server with those two.',
    '- **Against DuckDB.** The Trajectories request the explorer sent (body captured from the page, same Accept-Encoding as the' +
      " browser got) is also timed from Node with `fetch`, beside bench/run.ts's two hand-written SQL baselines (bench/queries.ts)" +
      " restricted to the same runs (and topic), run in the bench process on run.ts's raw database opened read only:" +
      ' **raw-table SQL** computes prompt means and per-checkpoint mean and sd from the raw observations on every call;' +
      ' **materialised-table SQL** reads the per-checkpoint table run.ts built once. Neither computes confidence intervals, the' +
      ' point budget, GraphQL or JSON over HTTP, and both return all three stances. 2 untimed calls each, then the contenders take' +
      ' turns call by call (bench/common.ts `compare`); quoted p50 / p95. The drawing has no DuckDB counterpart: it is compared' +
      ' with the answer time.',
    '',
    '## 1. First view on the demo data',
    '',
    `\`/?view=runs\` on a server that loaded the demo seed into an empty database at start, as \`npm start\` does (${fv.runs} runs;` +
      ` ${fv.seedSeconds.toFixed(1)} s from process start to \`/healthz\`, not timed), settings ${envList(fv.serverEnv)},` +
      ` result cache at its default (on). ${fv.cold.rowsPainted.samples.length} repetitions.`,
    '',
    `| navigation start → (${spread(fv.cold.rowsPainted.samples.length)}) | cold | warm (reload) |`,
    '|---|---|---|',
    `| runs table holds all ${fv.cold.rows} rows, first frame after it: **first view interactive** | **${ms(fv.cold.rowsPainted)}** | **${ms(fv.warm.rowsPainted)}** |`,
    `| … all rows in the DOM | ${ms(fv.cold.rowsInDom)} | ${ms(fv.warm.rowsInDom)} |`,
    `| Runs query: fetch called | ${ms(fv.cold.runsRequested)} | ${ms(fv.warm.runsRequested)} |`,
    `| Runs query: first byte | ${ms(fv.cold.runsFirstByte)} | ${ms(fv.warm.runsFirstByte)} |`,
    `| Runs query: answer parsed | ${ms(fv.cold.runsAnswered)} | ${ms(fv.warm.runsAnswered)} |`,
    `| DOMContentLoaded (event end) | ${ms(fv.cold.domContentLoaded)} | ${ms(fv.warm.domContentLoaded)} |`,
    `| load (event end) | ${ms(fv.cold.load)} | ${ms(fv.warm.load)} |`,
    `| first contentful paint | ${ms(fv.cold.firstContentfulPaint)} | ${ms(fv.warm.firstContentfulPaint)} |`,
    '',
    `The same Runs request from Node (${fv.runsEncoding ?? 'identity'}): ${fv.runsFromNode.p50.toFixed(1)} / ${fv.runsFromNode.p95.toFixed(1)} ms (p50 / p95 of` +
      ` ${fv.runsFromNode.samples.length}).`,
    '',
    `Target, first view interactive within ${TARGETS.firstViewMs / 1000} s of navigation (p50 / slowest): cold ${met(fv.cold.rowsPainted, TARGETS.firstViewMs)};` +
      ` warm ${met(fv.warm.rowsPainted, TARGETS.firstViewMs)}.`,
    '',
  ];
  if (fv.bundle) {
    const b = fv.bundle;
    lines.push(
      `The JS bundle \`${b.file}\`: ${kib(b.bytes)}, ${kib(b.gzipBytes)} if gzipped (zlib level 9, for comparison). The server sends it` +
        ` ${b.contentEncoding ? `with \`Content-Encoding: ${b.contentEncoding}\`` : '**uncompressed** (no `Content-Encoding`: `/assets` is served by `express.static`, without `compression()`)'}` +
        ` and \`Cache-Control: ${b.cacheControl ?? 'none'}\`. Resource Timing (median): ${kib(b.transferCold)} transferred cold (body` +
        ` ${kib(b.encodedBodySize)} encoded, ${kib(b.decodedBodySize)} decoded), ${kib(b.transferWarm)} warm (served from the HTTP cache).`,
      '',
    );
  }
  lines.push(
    `## 2. Trajectory charts at scale ${r.scale} (${c.runs} runs)`,
    '',
    `Server on a copy of \`${c.database}\`, settings ${envList(c.serverEnv)}: result cache off, so every answer is computed.` +
      ` \`runs=\` holds all ${c.runs} run ids.`,
    '',
    '| case | | request → first byte | request → last byte | request → JSON parsed | answer → Plot returned (`buildMs`) | answer → drawn (`drawnMs`) | navigation → request | navigation → drawn |' +
      ` drawn ≤ ${TARGETS.chartDrawnMs} ms (p50 / slowest) |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const k of c.cases) {
    for (const [label, v] of [
      ['cold', k.cold],
      ['warm', k.warm],
    ] as const) {
      lines.push(
        `| ${k.name} (${spread(v.drawnMs.samples.length)}) | ${label} | ${ms(v.requestToFirstByte)} | ${ms(v.requestToLastByte)} | ${ms(v.requestToParsed)} |` +
          ` ${ms(v.buildMs)} | **${ms(v.drawnMs)}** | ${ms(v.navToRequest)} | ${ms(v.navToDrawn)} | ${met(v.drawnMs, TARGETS.chartDrawnMs)} |`,
      );
    }
  }
  lines.push('', 'The cases:', '');
  for (const k of c.cases) {
    lines.push(
      `- **${k.name}**: ${k.what}; \`${k.query}\`. The page says "${k.summary ?? '?'}"; ${k.marks} Plot marks; the answer is` +
        ` ${kib(k.cold.answerBytes)} of JSON, ${kib(k.cold.answerTransferBytes)} over the wire (${k.answerEncoding ?? 'identity'}).` +
        ` From JSON parsed to the explorer's answer time: ${ms(k.cold.parsedToAnswered)} (cold).`,
    );
  }
  if (c.topicsFromNode && c.cases.length) {
    const k0 = c.cases[0]!;
    lines.push(
      '',
      `The explorer also sends its Topics query (\`topics { name promptCount runCount }\`) at page start, beside Runs. From Node, alone:` +
        ` ${c.topicsFromNode.p50.toFixed(0)} / ${c.topicsFromNode.p95.toFixed(0)} ms (p50 / p95 of ${c.topicsFromNode.samples.length}).` +
        ` In the browser (${k0.name}) it took ${ms(k0.cold.topicsRequestToParsed)} cold, ${ms(k0.warm.topicsRequestToParsed)} warm, and was` +
        ` still running when the Trajectories request left in ${k0.cold.topicsStillRunning} of ${k0.cold.drawnMs.samples.length} cold and` +
        ` ${k0.warm.topicsStillRunning} of ${k0.warm.drawnMs.samples.length} warm loads: the two then share the server's 2 cores, which` +
        ' is part of why the in-browser request takes longer than the same request from Node (section 3).',
    );
  }
  lines.push(
    '',
    '## 3. The answer against raw DuckDB, and the drawing against the answer',
    '',
    `Raw database: \`${c.rawDatabase ?? 'none (bench/run.ts did not leave one): no SQL baseline'}\`.`,
    '',
    '| case (p50 / p95) | GraphQL from Node | raw-table SQL | materialised-table SQL | GraphQL ÷ raw-table SQL | GraphQL ÷ materialised-table SQL | in the browser, cold p50: request → parsed | `drawnMs` | `drawnMs` ÷ request → parsed |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const k of c.cases) {
    const s = k.server;
    const st = (x: Stat | null) => (x ? `${x.p50.toFixed(0)} / ${x.p95.toFixed(0)} ms` : 'n/a');
    const ratio = (x: Stat | null) => (x ? `${(s.graphql.p50 / x.p50).toFixed(2)}×` : 'n/a');
    lines.push(
      `| ${k.name} (${s.reps} calls each) | ${st(s.graphql)} | ${st(s.raw)} | ${st(s.mat)} | ${ratio(s.raw)} | ${ratio(s.mat)} |` +
        ` ${k.cold.requestToParsed.p50.toFixed(0)} ms | ${k.cold.drawnMs.p50.toFixed(0)} ms | ${(k.cold.drawnMs.p50 / k.cold.requestToParsed.p50).toFixed(2)}× |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

/** The GraphQL operation's name in a request body, or ''. */
function gqlOperation(body: string | null): string {
  try {
    const q = (JSON.parse(body ?? '{}') as { query?: string }).query ?? '';
    return /^\s*(?:query|mutation)\s+(\w+)/.exec(q)?.[1] ?? '';
  } catch {
    return '';
  }
}

/** POSTs a request body as the browser sent it, accepting the encoding the browser got, and reads the whole answer. */
async function postGraphql(url: string, body: string, encoding: string | null): Promise<void> {
  if (!body) throw new Error('no request body was captured from the page');
  const headers = { 'content-type': 'application/json', 'accept-encoding': encoding ?? 'identity' };
  const res = await fetch(url, { method: 'POST', headers, body });
  const json = (await res.json()) as { errors?: unknown[] };
  if (json.errors) throw new Error(`GraphQL error: ${JSON.stringify(json.errors[0])}`);
}

async function openRaw(file: string): Promise<DriftDb | null> {
  if (!fs.existsSync(file)) return null;
  try {
    const db = await DriftDb.open(file, { readConnections: 1, readOnly: true });
    const tables = (await db.query('SELECT table_name FROM duckdb_tables()')).map((t) => String(t.table_name));
    if (['observations', 'cp'].every((t) => tables.includes(t))) return db;
    await db.close();
  } catch (err) {
    log(`  raw database not usable: ${(err as Error).message.split('\n')[0]}`);
  }
  return null;
}

let servers: BenchServer[] = [];
async function stopEverything(): Promise<void> {
  await browser?.close().catch(() => undefined);
  browser = null;
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
}

async function main(): Promise<void> {
  if (report.rerender<Results>(NAME, VERSION, render)) return;
  const args = parseArgs(process.argv.slice(2));
  const machineAtStart = machine();
  log(`explorer benchmark, ${args.reps} repetitions, scale ${args.scale}; load average ${machineAtStart.loadAverage.join(', ')}`);
  const explorerIndex = path.join(ROOT, 'dist', 'explorer', 'index.html');
  if (!fs.existsSync(explorerIndex)) throw new Error('dist/explorer is missing: run `node scripts/build.js` first');
  browser = await launchChromium();
  const chromiumVersion = `Chromium ${browser.version()}`;
  const work = benchTempDir('driftql-explorer-');

  // 1. First view on the demo data.
  const demoEnv = { ...SERVER_ENV, DRIFT_SEED_DEMO: 'true' };
  log('  demo: server on an empty database, loading the demo seed');
  const t0 = performance.now();
  const demo = await BenchServer.start(path.join(work, 'demo.duckdb'), { DRIFT_SEED_DEMO: 'true' });
  servers.push(demo);
  const seedSeconds = (performance.now() - t0) / 1000;
  const demoRuns = (await allRuns(`${demo.url}/graphql`)).length;
  log(`  demo: ${demoRuns} runs, up after ${seedSeconds.toFixed(1)} s`);
  const headers: { contentEncoding: string | null; cacheControl: string | null } = { contentEncoding: null, cacheControl: null };
  let runsBody = '';
  let runsEncoding: string | null = null;
  {
    // The bundle's response headers as the browser got them, and the Runs request's body.
    const { context, page } = await newPage(demoRuns);
    page.on('request', (req) => {
      if (!runsBody && gqlOperation(req.postData()) === 'Runs') runsBody = req.postData()!;
    });
    page.on('response', (res) => {
      if (gqlOperation(res.request().postData()) === 'Runs') runsEncoding = res.headers()['content-encoding'] ?? null;
    });
    page.on('response', (res) => {
      if (/\/assets\/.*\.js$/.test(res.url())) {
        const h = res.headers();
        headers.contentEncoding = h['content-encoding'] ?? null;
        headers.cacheControl = h['cache-control'] ?? null;
      }
    });
    await load(page, `${demo.url}/?view=runs`, 'rows');
    await context.close();
  }
  log('  demo: first view, cold and warm');
  const fvSamples = await browserCase(`${demo.url}/?view=runs`, 'rows', demoRuns, args.reps);
  const bundleOf = fvSamples.cold[0]!.bundle;
  let bundle: FirstViewResult['bundle'] = null;
  if (bundleOf) {
    const file = path.join(ROOT, 'dist', 'explorer', bundleOf.name);
    const bytes = fs.readFileSync(file);
    bundle = {
      file: path.relative(ROOT, file),
      bytes: bytes.length,
      gzipBytes: zlib.gzipSync(bytes, { level: 9 }).length,
      ...headers,
      transferCold: median(fvSamples.cold.map((s) => s.bundle?.transferSize ?? NaN)),
      transferWarm: median(fvSamples.warm.map((s) => s.bundle?.transferSize ?? NaN)),
      encodedBodySize: bundleOf.encodedBodySize,
      decodedBodySize: bundleOf.decodedBodySize,
    };
  }
  const runsFromNode = (await compare(args.reps, { runs: () => postGraphql(`${demo.url}/graphql`, runsBody, runsEncoding) })).runs!;
  const firstView: FirstViewResult = {
    serverEnv: demoEnv,
    seedSeconds: round(seedSeconds, 1),
    runs: demoRuns,
    bundle,
    cold: firstViewOf(fvSamples.cold),
    warm: firstViewOf(fvSamples.warm),
    runsFromNode,
    runsEncoding,
  };
  log(`  first view interactive: cold p50 ${firstView.cold.rowsPainted.p50} ms, warm p50 ${firstView.warm.rowsPainted.p50} ms`);
  await demo.stop();
  servers = [];

  // 2. Trajectory charts at the scale.
  const n = SCALES[args.scale];
  const source = path.join(ROOT, 'bench', 'out', args.scale, 'driftql-parquet.duckdb');
  if (!fs.existsSync(source))
    throw new Error(`${path.relative(ROOT, source)} is missing: run \`npm run bench -- --scales ${args.scale}\` first`);
  const served = path.join(work, 'scale.duckdb');
  fs.copyFileSync(source, served);
  const chartEnv = { ...SERVER_ENV, DRIFT_CACHE_BYTES: '0', DRIFT_CACHE_ENTRIES: '0' };
  log(`  scale ${args.scale}: server on a copy of ${path.relative(ROOT, source)}, result cache off`);
  const server = await BenchServer.start(served, { DRIFT_CACHE_BYTES: '0', DRIFT_CACHE_ENTRIES: '0' });
  servers.push(server);
  const gqlUrl = `${server.url}/graphql`;
  const runs = await allRuns(gqlUrl);
  if (runs.length !== n) throw new Error(`the server lists ${runs.length} runs, expected ${n}`);
  const topics = ((await gqlCall(gqlUrl, '{ topics { name } }')) as { data: { topics: { name: string }[] } }).data.topics.map(
    (t) => t.name,
  );
  const topic = args.topic ?? topics[0]!;
  if (!topics.includes(topic)) throw new Error(`no topic ${topic}; the server has ${topics.join(', ')}`);
  const ids = runs.map((r) => r.id).join(',');
  const keys = runs.map((r) => r.key);
  const cases = [
    {
      reps: args.reps,
      serverReps: args.reps,
      name: `${n} runs, 1 topic, 1 stance`,
      what: `topic "${topic}", stance SUPPORT, default point budget (200 per trajectory) and 95% bands`,
      params: `view=trajectories&runs=${ids}&topic=${encodeURIComponent(topic)}&stance=SUPPORT`,
      where: `WHERE run_id IN (${keys.map(sqlString).join(', ')}) AND topic = ${sqlString(topic)}`,
    },
    {
      reps: args.reps,
      serverReps: Math.min(args.reps, 5),
      name: `${n} runs, all ${topics.length} topics, 1 stance, every point`,
      what: `small multiples, one row per topic, stance SUPPORT, \`points=0\` (every point), bands on`,
      params: `view=trajectories&runs=${ids}&stance=SUPPORT&points=0`,
      where: `WHERE run_id IN (${keys.map(sqlString).join(', ')})`,
    },
    {
      reps: args.heavyReps,
      serverReps: args.heavyReps,
      name: `${n} runs, all ${topics.length} topics × 3 stances, every point`,
      what: `small multiples, topics in rows and the three stances in columns (\`stance=\` empty), \`points=0\`, bands on`,
      params: `view=trajectories&runs=${ids}&stance=&points=0`,
      where: `WHERE run_id IN (${keys.map(sqlString).join(', ')})`,
    },
  ];
  const raw = await openRaw(path.join(ROOT, 'bench', 'out', args.scale, 'raw-parquet.duckdb'));
  const chartCases: ChartCase[] = [];
  let topicsBody = '';
  let topicsFromNode: Stat | null = null;
  const chartSamples: Results['samples']['charts'] = {};
  try {
    for (const k of cases) {
      if (k.reps < 1) continue;
      log(`  chart: ${k.name}`);
      const url = `${server.url}/?${k.params}`;
      // The exact body the explorer sends, captured from a page, for the Node-side timing.
      let body = '';
      let encoding: string | null = null;
      {
        const { context, page } = await newPage(0);
        page.on('request', (req) => {
          const op = gqlOperation(req.postData());
          if (op === 'Trajectories') body = req.postData()!;
          if (op === 'Topics') topicsBody = req.postData()!;
        });
        page.on('response', (res) => {
          if (gqlOperation(res.request().postData()) === 'Trajectories') encoding = res.headers()['content-encoding'] ?? null;
        });
        await load(page, url, 'chart');
        await context.close();
      }
      const s = await browserCase(url, 'chart', 0, k.reps);
      chartSamples[k.name] = s;
      const timing = s.cold[0]!.timings.find((t) => t.figure === 'driftql-trajectories')!;
      const cold = chartViewOf(s.cold);
      const warm = chartViewOf(s.warm);
      log(
        `    cold: request → parsed ${cold.requestToParsed.p50} ms, drawnMs ${cold.drawnMs.p50} ms (build ${cold.buildMs.p50}); ` +
          `warm: drawnMs ${warm.drawnMs.p50} ms; ${s.cold[0]!.summary}`,
      );
      // 3. The same request from Node against the SQL baselines.
      let rawRows: number | null = null;
      const sqlOf = (src: Source) => `SELECT * FROM (${src(k.where)}) ORDER BY run_id, topic, ${ORDERED}, step`;
      const contenders: Record<string, () => Promise<unknown>> = { graphql: () => postGraphql(gqlUrl, body, encoding) };
      if (raw) {
        contenders.raw = async () => (rawRows = (await raw.query(sqlOf(FROM_RAW))).length);
        contenders.mat = () => raw.query(sqlOf(FROM_CP));
      }
      const t = await compare(k.serverReps, contenders);
      // The explorer's Topics request (asked at page start, beside Runs), alone, once.
      topicsFromNode ??= (await compare(args.reps, { topics: () => postGraphql(gqlUrl, topicsBody, encoding) })).topics!;
      log(
        `    from Node: GraphQL ${t.graphql!.p50.toFixed(0)} ms` +
          (raw ? `, raw-table SQL ${t.raw!.p50.toFixed(0)} ms, materialised ${t.mat!.p50.toFixed(0)} ms` : ''),
      );
      chartCases.push({
        name: k.name,
        reps: k.reps,
        what: k.what,
        query: `/?${k.params.replace(ids, `<${n} ids>`)}`,
        summary: s.cold[0]!.summary,
        answerEncoding: encoding,
        marks: timing.marks,
        cold,
        warm,
        server: { graphql: t.graphql!, raw: t.raw ?? null, mat: t.mat ?? null, rawRows, reps: k.serverReps },
      });
    }
  } finally {
    await raw?.close();
  }

  const results: Results = {
    version: VERSION,
    scale: args.scale,
    args,
    machineAtStart,
    machineAtEnd: machine(),
    chromium: chromiumVersion,
    viewport: VIEWPORT,
    targets: TARGETS,
    pageRetries: retries,
    bundlesSeen: [
      ...new Set(
        [...fvSamples.cold, ...fvSamples.warm, ...Object.values(chartSamples).flatMap((x) => [...x.cold, ...x.warm])].map(
          (x) => x.bundle?.name ?? 'none',
        ),
      ),
    ],
    firstView,
    chart: {
      database: path.relative(ROOT, source),
      rawDatabase: raw ? path.relative(ROOT, path.join(ROOT, 'bench', 'out', args.scale, 'raw-parquet.duckdb')) : null,
      serverEnv: chartEnv,
      runs: n,
      topics,
      cases: chartCases,
      topicsFromNode,
    },
    samples: { firstView: fvSamples, charts: chartSamples },
  };
  await stopEverything();
  await report.write(NAME, results, render);
}

main()
  .catch(async (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => stopEverything());
