/**
 * `npm run bench [-- --scales S,M,L] [--reps N] [--l-reps N] [--ingest-reps 3] [--duration 20] [--connections 50]
 *   [--rss-runs 3] [--rss-duration 10] [--seed 1] [--render]`
 *
 * Measures driftql against raw DuckDB on the same files in the same run:
 * - ingest, against a plain CREATE TABLE AS SELECT of the files and against CTAS plus the same
 *   aggregates (prompt means, checkpoint values) in hand-written SQL; repeated, alternating which
 *   side goes first, after one untimed read of the files;
 * - each analytic query (GraphQL over HTTP, result cache off) against two hand-written SQL
 *   baselines: over the raw observation table, and over a per-checkpoint table materialised from
 *   it once, outside the timing;
 * - throughput under load: varied one-run chart queries with the cache off, and one query
 *   repeated with the cache on;
 * - the server's peak RSS over separate runs of load plus the all-run queries.
 * Writes bench/RESULTS.md and bench/results.json (every sample).
 */
import autocannon from 'autocannon';
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DriftDb } from '../src/db/client';
import { migrate } from '../src/db/migrate';
import { sqlString } from '../src/db/sql';
import { ingestBundle } from '../src/ingest/ingest';
import { ROOT } from '../src/paths';
import { compare, freePort, median, stat, timeIt, type Stat } from './common';
import { SCALES, benchRuns, generateBundles, type Scale } from './generate';
import { FROM_CP, FROM_RAW, MATERIALISE, Q, SQL, allRuns, gqlCall, variedCharts, type Source } from './queries';

/** results.json layout version; results of an older layout are not merged. */
const VERSION = 3;

interface Args {
  scales: Scale[];
  /** Calls per latency at S and M (default 20) and at L (default 10). */
  reps: number | null;
  lReps: number;
  ingestReps: number;
  duration: number;
  connections: number;
  rssRuns: number;
  rssDuration: number;
  seed: number;
  /**
   * Skip the ingest measurement and use databases prepared beforehand in the scale's directory
   * (prepared-driftql-parquet.duckdb: a driftql ingest of the Parquet bundle; prepared-raw-parquet.duckdb:
   * a plain CTAS of the same files), for a busy machine on which the repeated L ingest does not fit.
   */
  reuse: boolean;
  /** Measure only the ingest of the given scales and put it into their saved results. */
  ingestOnly: boolean;
  formats: ('parquet' | 'csv')[];
  out: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
  };
  const scales = get('scales', 'S,M')
    .split(',')
    .map((s) => s.trim().toUpperCase()) as Scale[];
  for (const s of scales) if (!(s in SCALES)) throw new Error(`unknown scale ${s}; use S, M or L`);
  const reps = get('reps', '');
  return {
    scales,
    reps: reps ? Number(reps) : null,
    lReps: Number(get('l-reps', reps || '10')),
    ingestReps: Number(get('ingest-reps', '3')),
    duration: Number(get('duration', '20')),
    connections: Number(get('connections', '50')),
    rssRuns: Number(get('rss-runs', '3')),
    rssDuration: Number(get('rss-duration', '10')),
    seed: Number(get('seed', '1')),
    reuse: argv.includes('--reuse'),
    ingestOnly: argv.includes('--ingest-only'),
    formats: get('formats', 'parquet,csv')
      .split(',')
      .map((x) => x.trim()) as ('parquet' | 'csv')[],
    out: path.resolve(get('out', path.join(ROOT, 'bench', 'out'))),
  };
}

const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

function freshFile(file: string): string {
  for (const f of [file, `${file}.wal`]) fs.rmSync(f, { force: true });
  return file;
}

function fileMb(f: string): number {
  return fs.existsSync(f) ? fs.statSync(f).size / 1048576 : 0;
}

// ---------------------------------------------------------------------------------------------
// Raw DuckDB baselines: the same numbers by hand-written SQL, from two sources.
//
// raw table: the observation rows as CREATE TABLE AS SELECT loaded them; every query first
//   averages answers into prompt means and prompt means into per-checkpoint mean and sd.
// materialised table `cp`: one row per run × stage × step × topic with those means and sds, built
//   once from the raw table outside the timing. Queries over it only read pre-aggregated numbers:
//   the limit for any server that stores them.

/**
 * "CTAS plus aggregates": what driftql stores, in hand-written SQL on the raw rows (string keys,
 * no id mapping, no validation): observations, prompt means with their generation counts, and
 * per-checkpoint values (prompt count, mean and sd of prompt means per stance), in driftql's row
 * order. It uses DuckDB's avg and stddev_samp; driftql sums exactly (HUGEINT) so that its stored
 * values do not depend on thread count or file order, which costs it more. The values agree to
 * rounding (see the check in benchScale).
 */
const AGGREGATES = [
  `CREATE TABLE prompt_means AS
   SELECT run_id, stage, step, topic, prompt_id, count(*) AS generations,
          avg(p_support) AS m_support, avg(p_neutral) AS m_neutral, avg(p_oppose) AS m_oppose
   FROM observations GROUP BY ALL ORDER BY run_id, stage, step, topic, prompt_id`,
  `CREATE TABLE checkpoint_values AS
   SELECT run_id, stage, step, topic, count(*) AS prompts,
          avg(m_support) AS v_support, avg(m_neutral) AS v_neutral, avg(m_oppose) AS v_oppose,
          stddev_samp(m_support) AS sd_support, stddev_samp(m_neutral) AS sd_neutral, stddev_samp(m_oppose) AS sd_oppose
   FROM prompt_means GROUP BY ALL ORDER BY run_id, stage, step, topic`,
];

// ---------------------------------------------------------------------------------------------
// Servers

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
// A bench stopped by a signal (e.g. `timeout`) stops its servers too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));

interface Server {
  child: ChildProcess;
  url: string;
}

/**
 * Starts dist/src/server.js on the database with the default configuration, except: no demo seed,
 * loopback, a free port, a cost limit high enough for the all-run queries at L (the default
 * DRIFT_MAX_COST refuses groupedTrajectories over 1,000 runs before it runs), and with
 * `cache: false` the result cache off. DRIFT_* variables of the bench's own environment are not
 * passed on.
 */
export const BENCH_MAX_COST = 1_000_000_000;

async function startServer(dbFile: string, cache: boolean): Promise<Server> {
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DRIFT_')));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'server.js')], {
    env: {
      ...env,
      NODE_ENV: 'production',
      ...(cache ? {} : { DRIFT_CACHE_ENTRIES: '0', DRIFT_CACHE_BYTES: '0' }),
      DRIFT_MAX_COST: String(BENCH_MAX_COST),
      // The load phases send thousands of requests a minute from one address, and cold queries
      // at L can run long: neither the rate limit nor the statement time limit is under test here.
      DRIFT_RATE_LIMIT: '0',
      DRIFT_QUERY_TIMEOUT_MS: '0',
      PORT: String(port),
      HOST: '127.0.0.1',
      DRIFT_DB: dbFile,
      DRIFT_SEED_DEMO: 'false',
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '8',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { child, url: `http://127.0.0.1:${port}/graphql` };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopServer({ child, url: '' });
  throw new Error('server did not start');
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

interface LoadResult {
  query: string;
  cache: boolean;
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 200 responses whose body carries GraphQL errors */
  graphqlErrors: number;
}

/** autocannon at `connections` for `seconds`; `body` is called for every request. */
async function runLoad(
  url: string,
  connections: number,
  seconds: number,
  body: () => string,
): Promise<Omit<LoadResult, 'query' | 'cache'>> {
  let graphqlErrors = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: body() }),
        onResponse: (status, resBody) => {
          if (status === 200 && resBody.includes('"errors"')) graphqlErrors++;
        },
      },
    ],
  });
  return {
    connections,
    seconds,
    requests: result.requests.total,
    requestsPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
  };
}

// ---------------------------------------------------------------------------------------------

interface IngestResult {
  format: string;
  /** bytes read once, untimed, before the repetitions (to warm the OS page cache) */
  warmBytes: number;
  /** per repetition, the order the three sides ran in */
  orders: string[][];
  /** seconds per repetition, from the first statement to COMMIT */
  driftqlSec: number[];
  ctasSec: number[];
  ctasAggSec: number[];
  /** seconds per repetition, from the first statement to the database file being closed (its checkpoint written) */
  driftqlClosedSec: number[];
  ctasClosedSec: number[];
  ctasAggClosedSec: number[];
  median: { driftql: number; ctas: number; ctasAgg: number };
  medianClosed: { driftql: number; ctas: number; ctasAgg: number };
  /** throughput ratios: raw side's median time / driftql's median time (higher is better for driftql), to COMMIT */
  vsCtas: number;
  vsCtasAgg: number;
  /** the same ratios, to the file being closed */
  vsCtasClosed: number;
  vsCtasAggClosed: number;
  dbMb: { driftql: number; ctas: number; ctasAgg: number };
}

interface QueryResult {
  name: string;
  /** driftql, GraphQL over HTTP, result cache off */
  driftql: Stat;
  /** hand-written SQL over the raw observation table */
  raw: Stat;
  /** hand-written SQL over the materialised per-checkpoint table */
  mat: Stat;
  /** driftql, cache on, the same call repeated */
  warm: Stat;
  /** driftql p50 / raw-table SQL p50 (below 1: driftql faster) */
  ratioRaw: number;
  /** driftql p50 / materialised-table SQL p50 (below 1: driftql faster) */
  ratioMat: number;
}

interface ScaleResult {
  version: number;
  scale: Scale;
  machine: ReturnType<typeof machine> & { endedAt: string; loadAverageAtEnd: number[] };
  reps: number;
  runs: number;
  rows: number;
  ingest: IngestResult[];
  /** why `ingest` is empty, when it is */
  ingestNote?: string;
  /** facts about the run that the figures alone do not show, added to results.json by hand and rendered with --render */
  notes?: string[];
  /** seconds to build the materialised per-checkpoint table from the raw table (not timed in the queries) */
  materialiseSec: number;
  /** driftql's checkpoint_values against the materialised table, as a check that both hold the same numbers */
  check: { rows: number; rawRows: number; maxAbsDiff: number };
  queries: QueryResult[];
  load: { uncachedVaried: LoadResult | null; cachedSingle: LoadResult | null };
  rss: {
    /** one run each: server (default configuration, result cache on) on this scale's database, varied load, then every all-run query */
    runsMb: number[];
    minMb: number;
    maxMb: number;
    loadSeconds: number;
    /** VmHWM of the servers used for the latency and load measurements */
    latencyServersMb: { cacheOff: number; cacheOn: number };
  };
}

async function readOnce(files: string[]): Promise<number> {
  let bytes = 0;
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      fs.createReadStream(f, { highWaterMark: 1 << 20 })
        .on('data', (c) => (bytes += c.length))
        .on('end', resolve)
        .on('error', reject);
    });
  }
  return bytes;
}

/** Seconds from the first statement to COMMIT, and to the database file being closed (checkpointed). */
interface IngestTime {
  commit: number;
  closed: number;
}

async function timeDriftqlIngest(bundle: string, dbFile: string): Promise<IngestTime> {
  const db = await DriftDb.open(freshFile(dbFile), { readConnections: 1 });
  await migrate(db);
  const t0 = process.hrtime.bigint();
  await ingestBundle(db, bundle);
  const t1 = process.hrtime.bigint();
  await db.close();
  const t2 = process.hrtime.bigint();
  return { commit: Number(t1 - t0) / 1e9, closed: Number(t2 - t0) / 1e9 };
}

async function timeRawIngest(reader: string, dbFile: string, rows: number, aggregates: boolean): Promise<IngestTime> {
  const db = await DriftDb.open(freshFile(dbFile), { readConnections: 1 });
  const t0 = process.hrtime.bigint();
  await db.withWriter(async (c) => {
    await c.run('BEGIN TRANSACTION');
    await c.run(`CREATE TABLE observations AS SELECT * FROM ${reader}`);
    if (aggregates) for (const s of AGGREGATES) await c.run(s);
    await c.run('COMMIT');
  });
  const t1 = process.hrtime.bigint();
  await db.close();
  const t2 = process.hrtime.bigint();
  const check = await DriftDb.open(dbFile, { readConnections: 1 });
  const n = Number((await check.query('SELECT count(*) AS n FROM observations'))[0]?.n);
  await check.close();
  if (n !== rows) throw new Error(`raw CTAS loaded ${n} rows, expected ${rows}`);
  return { commit: Number(t1 - t0) / 1e9, closed: Number(t2 - t0) / 1e9 };
}

async function benchIngest(
  dir: string,
  bundles: { parquet: string; csv: string; rows: number },
  args: Args,
): Promise<{ ingest: IngestResult[]; driftqlDb: string; rawDb: string }> {
  const manifestFiles = (b: string) =>
    (JSON.parse(fs.readFileSync(path.join(b, 'manifest.json'), 'utf8')) as { files: { path: string }[] }).files.map((f) =>
      path.join(b, f.path),
    );
  const ingest: IngestResult[] = [];
  for (const format of args.formats) {
    const bundle = bundles[format];
    const files = manifestFiles(bundle);
    const list = files.map(sqlString).join(', ');
    const reader = format === 'parquet' ? `read_parquet([${list}])` : `read_csv([${list}], header = true)`;
    const db = {
      driftql: path.join(dir, `driftql-${format}.duckdb`),
      ctas: path.join(dir, `raw-${format}.duckdb`),
      ctasAgg: path.join(dir, `rawagg-${format}.duckdb`),
    };
    const warmBytes = await readOnce(files);
    log(`  ${format}: read ${(warmBytes / 1048576).toFixed(0)} MB once to warm the page cache`);
    const r: IngestResult = {
      format,
      warmBytes,
      orders: [],
      driftqlSec: [],
      ctasSec: [],
      ctasAggSec: [],
      driftqlClosedSec: [],
      ctasClosedSec: [],
      ctasAggClosedSec: [],
      median: { driftql: 0, ctas: 0, ctasAgg: 0 },
      medianClosed: { driftql: 0, ctas: 0, ctasAgg: 0 },
      vsCtas: 0,
      vsCtasAgg: 0,
      vsCtasClosed: 0,
      vsCtasAggClosed: 0,
      dbMb: { driftql: 0, ctas: 0, ctasAgg: 0 },
    };
    for (let rep = 0; rep < args.ingestReps; rep++) {
      const order = rep % 2 === 0 ? ['driftql', 'ctas', 'ctasAgg'] : ['ctas', 'ctasAgg', 'driftql'];
      r.orders.push(order);
      for (const side of order) {
        if (typeof global.gc === 'function') global.gc();
        if (side === 'driftql') {
          const t = await timeDriftqlIngest(bundle, db.driftql);
          r.driftqlSec.push(t.commit);
          r.driftqlClosedSec.push(t.closed);
        } else if (side === 'ctas') {
          const t = await timeRawIngest(reader, db.ctas, bundles.rows, false);
          r.ctasSec.push(t.commit);
          r.ctasClosedSec.push(t.closed);
        } else {
          const t = await timeRawIngest(reader, db.ctasAgg, bundles.rows, true);
          r.ctasAggSec.push(t.commit);
          r.ctasAggClosedSec.push(t.closed);
        }
      }
      log(
        `  ingest ${format} #${rep + 1} (${order.join(' → ')}), to commit / closed: driftql ${r.driftqlSec.at(-1)!.toFixed(2)} / ${r.driftqlClosedSec.at(-1)!.toFixed(2)} s, ` +
          `CTAS ${r.ctasSec.at(-1)!.toFixed(2)} / ${r.ctasClosedSec.at(-1)!.toFixed(2)} s, CTAS + aggregates ${r.ctasAggSec.at(-1)!.toFixed(2)} / ${r.ctasAggClosedSec.at(-1)!.toFixed(2)} s`,
      );
    }
    r.median = { driftql: median(r.driftqlSec), ctas: median(r.ctasSec), ctasAgg: median(r.ctasAggSec) };
    r.medianClosed = { driftql: median(r.driftqlClosedSec), ctas: median(r.ctasClosedSec), ctasAgg: median(r.ctasAggClosedSec) };
    r.vsCtas = r.median.ctas / r.median.driftql;
    r.vsCtasAgg = r.median.ctasAgg / r.median.driftql;
    r.vsCtasClosed = r.medianClosed.ctas / r.medianClosed.driftql;
    r.vsCtasAggClosed = r.medianClosed.ctasAgg / r.medianClosed.driftql;
    r.dbMb = { driftql: fileMb(db.driftql), ctas: fileMb(db.ctas), ctasAgg: fileMb(db.ctasAgg) };
    ingest.push(r);
  }
  return { ingest, driftqlDb: path.join(dir, 'driftql-parquet.duckdb'), rawDb: path.join(dir, 'raw-parquet.duckdb') };
}

async function benchScale(scale: Scale, args: Args): Promise<ScaleResult> {
  const n = SCALES[scale];
  const reps = scale === 'L' ? args.lReps : (args.reps ?? 20);
  const dir = path.join(args.out, scale);
  const startedAt = machine();
  log(`== scale ${scale}: ${n} runs; load average ${startedAt.loadAverage.join(', ')}`);
  const bundles = await generateBundles(path.join(dir, 'bundles'), n, log);

  let ingest: IngestResult[] = [];
  let driftqlDb = path.join(dir, 'prepared-driftql-parquet.duckdb');
  let rawDb = path.join(dir, 'prepared-raw-parquet.duckdb');
  let ingestNote = '';
  if (args.reuse) {
    for (const f of [driftqlDb, rawDb]) if (!fs.existsSync(f)) throw new Error(`--reuse: ${f} does not exist`);
    ingestNote =
      'not measured in this run: the databases were prepared beforehand (a driftql ingest of the Parquet bundle and a plain CTAS ' +
      'of the same files, untimed), because the repeated ingest at this scale did not fit the time available on the busy machine';
    log(`  ingest ${ingestNote}`);
  } else {
    ({ ingest, driftqlDb, rawDb } = await benchIngest(dir, bundles, args));
  }

  // The raw baseline database (the last parquet CTAS): run attributes for the grouped queries and
  // the materialised per-checkpoint table, both built here, outside any timing.
  const raw = await DriftDb.open(rawDb, { readConnections: 1 });
  const runs = benchRuns(n);
  const [matMs] = await timeIt(() =>
    raw.withWriter(async (c) => {
      await c.run('CREATE OR REPLACE TABLE runs (run_id VARCHAR, algorithm VARCHAR, dataset VARCHAR)');
      await c.run(
        `INSERT INTO runs VALUES ${runs.map((r) => `(${sqlString(r.id)}, ${sqlString(r.algorithm)}, ${sqlString(r.pref)})`).join(', ')}`,
      );
      await c.run(MATERIALISE);
      await c.run('CHECKPOINT');
    }),
  );
  log(`  materialised per-checkpoint table in ${(matMs / 1000).toFixed(1)} s (not timed in the queries)`);

  // Both sides must hold the same per-checkpoint numbers.
  const check = await (async () => {
    const mine = await DriftDb.open(driftqlDb, { readConnections: 1 });
    try {
      const rows = Number((await mine.query('SELECT count(*) AS n FROM checkpoint_values'))[0]?.n);
      const rawRows = Number((await raw.query('SELECT count(*) AS n FROM cp'))[0]?.n);
      const mineVals = await mine.query(
        `SELECT r.key AS run_id, s.name AS stage, c.step, t.name AS topic, c.v_support, c.sd_support
         FROM checkpoint_values c JOIN runs r ON r.id = c.run_id JOIN stages s ON s.id = c.stage_id JOIN topics t ON t.id = c.topic_id
         ORDER BY 1, 2, 3, 4`,
      );
      const rawVals = await raw.query('SELECT run_id, stage, step, topic, vs, ss FROM cp ORDER BY 1, 2, 3, 4');
      let maxAbsDiff = 0;
      for (let i = 0; i < Math.min(mineVals.length, rawVals.length); i++) {
        const a = mineVals[i]!;
        const b = rawVals[i]!;
        if (a.run_id !== b.run_id || a.stage !== b.stage || Number(a.step) !== Number(b.step) || a.topic !== b.topic) {
          throw new Error(`checkpoint keys differ at row ${i}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
        }
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(Number(a.v_support) - Number(b.vs)), Math.abs(Number(a.sd_support) - Number(b.ss)));
      }
      return { rows, rawRows, maxAbsDiff };
    } finally {
      await mine.close();
    }
  })();
  log(
    `  check: driftql ${check.rows} checkpoint rows, materialised ${check.rawRows}, max |difference| ${check.maxAbsDiff.toExponential(2)}`,
  );
  if (check.rows !== check.rawRows) throw new Error('driftql and the materialised table disagree on the number of checkpoints');

  const queries: QueryResult[] = [];
  const load: ScaleResult['load'] = { uncachedVaried: null, cachedSingle: null };
  let ids: { id: string; key: string }[] = [];
  let topics: string[] = [];
  const allRunCalls: [string, (url: string) => Promise<unknown>][] = [
    ['driftMetrics, all runs', (url) => gqlCall(url, Q.drift)],
    ['stageAttribution, all runs', (url) => gqlCall(url, Q.attribution)],
    ['groupedTrajectories, all runs', (url) => gqlCall(url, Q.grouped)],
    ['effectDecomposition, all runs', (url) => gqlCall(url, Q.effect)],
  ];
  const latencyServersMb = { cacheOff: 0, cacheOn: 0 };

  // Cache off: every call computes. driftql and both SQL baselines take turns call by call.
  {
    const server = await startServer(driftqlDb, false);
    const url = server.url;
    try {
      ids = await allRuns(url);
      topics = ((await gqlCall(url, `{ topics { name } }`)) as { data: { topics: { name: string }[] } }).data.topics.map((t) => t.name);
      if (ids.length !== n) throw new Error(`server lists ${ids.length} runs, expected ${n}`);
      const one = ids.slice(0, 1);
      const twenty = ids.slice(0, 20);
      const cases: [string, () => Promise<unknown>, (src: Source) => string][] = [
        [
          'trajectories, 1 run',
          () => gqlCall(url, Q.trajectories, { ids: one.map((r) => r.id) }),
          (s) =>
            SQL.trajectories(
              s,
              one.map((r) => r.key),
            ),
        ],
        [
          `trajectories, ${twenty.length} runs`,
          () => gqlCall(url, Q.trajectories, { ids: twenty.map((r) => r.id) }),
          (s) =>
            SQL.trajectories(
              s,
              twenty.map((r) => r.key),
            ),
        ],
        ['driftMetrics, all runs', () => gqlCall(url, Q.drift), SQL.drift],
        ['stageAttribution, all runs', () => gqlCall(url, Q.attribution), SQL.attribution],
        ['groupedTrajectories, all runs', () => gqlCall(url, Q.grouped), SQL.grouped],
        ['effectDecomposition, all runs', () => gqlCall(url, Q.effect), SQL.effect],
      ];
      for (const [name, call, sql] of cases) {
        const rawSql = sql(FROM_RAW);
        const matSql = sql(FROM_CP);
        const t = await compare(reps, { driftql: call, raw: () => raw.query(rawSql), mat: () => raw.query(matSql) });
        queries.push({
          name,
          driftql: t.driftql!,
          raw: t.raw!,
          mat: t.mat!,
          warm: stat([]),
          ratioRaw: t.driftql!.p50 / t.raw!.p50,
          ratioMat: t.driftql!.p50 / t.mat!.p50,
        });
        log(
          `  ${name}: driftql ${t.driftql!.p50.toFixed(1)} ms, raw-table SQL ${t.raw!.p50.toFixed(1)} ms, materialised-table SQL ${t.mat!.p50.toFixed(1)} ms (p50 of ${reps})`,
        );
      }
      if (args.duration > 0) {
        const body = variedCharts(
          ids.map((r) => r.id),
          topics,
          args.seed,
        );
        await gqlCall(url, Q.chart, JSON.parse(body()).variables); // the first body must be a valid query
        load.uncachedVaried = {
          query: `trajectories of one run and one topic, three stances; run and topic drawn per request from a seeded PRNG (seed ${args.seed}) over ${ids.length} runs × ${topics.length} topics`,
          cache: false,
          ...(await runLoad(
            url,
            args.connections,
            args.duration,
            variedCharts(
              ids.map((r) => r.id),
              topics,
              args.seed,
            ),
          )),
        };
        log(`  load, cache off, varied: ${load.uncachedVaried.requestsPerSec.toFixed(0)} req/s, p99 ${load.uncachedVaried.p99} ms`);
      }
      latencyServersMb.cacheOff = peakRssMb(server.child.pid!);
    } finally {
      await stopServer(server);
    }
  }

  // Cache on: the same calls repeated are served from the result cache.
  {
    const server = await startServer(driftqlDb, true);
    const url = server.url;
    try {
      const one = ids.slice(0, 1);
      const twenty = ids.slice(0, 20);
      const calls: Record<string, () => Promise<unknown>> = {
        'trajectories, 1 run': () => gqlCall(url, Q.trajectories, { ids: one.map((r) => r.id) }),
        [`trajectories, ${twenty.length} runs`]: () => gqlCall(url, Q.trajectories, { ids: twenty.map((r) => r.id) }),
        ...Object.fromEntries(allRunCalls.map(([name, fn]) => [name, () => fn(url)])),
      };
      for (const q of queries) {
        q.warm = (await compare(reps, { warm: calls[q.name]! })).warm!;
        log(`  ${q.name}, cache on: p50 ${q.warm.p50.toFixed(1)} ms`);
      }
      if (args.duration > 0) {
        const body = JSON.stringify({ query: Q.chart, variables: { id: ids[0]!.id, topic: topics[0]! } });
        load.cachedSingle = {
          query: `trajectories of one run and one topic, three stances; the same request every time (${ids[0]!.key}, "${topics[0]}")`,
          cache: true,
          ...(await runLoad(url, args.connections, args.duration, () => body)),
        };
        log(`  load, cache on, one query repeated: ${load.cachedSingle.requestsPerSec.toFixed(0)} req/s, p99 ${load.cachedSingle.p99} ms`);
      }
      latencyServersMb.cacheOn = peakRssMb(server.child.pid!);
    } finally {
      await stopServer(server);
    }
  }
  await raw.close();

  // Peak RSS: separate server processes with the default configuration (cache on), each taking
  // varied chart load and then every all-run query.
  const runsMb: number[] = [];
  for (let i = 0; i < args.rssRuns; i++) {
    const server = await startServer(driftqlDb, true);
    try {
      if (args.rssDuration > 0) {
        await runLoad(
          server.url,
          args.connections,
          args.rssDuration,
          variedCharts(
            ids.map((r) => r.id),
            topics,
            args.seed + 1 + i,
          ),
        );
      }
      for (const [, call] of allRunCalls) await call(server.url);
      runsMb.push(peakRssMb(server.child.pid!));
    } finally {
      await stopServer(server);
    }
    log(`  peak RSS run ${i + 1}: ${runsMb.at(-1)!.toFixed(0)} MiB`);
  }

  const endedAt = machine();
  return {
    version: VERSION,
    scale,
    machine: { ...startedAt, endedAt: endedAt.date, loadAverageAtEnd: endedAt.loadAverage },
    reps,
    runs: n,
    rows: bundles.rows,
    ingest,
    ...(ingestNote ? { ingestNote } : {}),
    materialiseSec: matMs / 1000,
    check,
    queries,
    load,
    rss: {
      runsMb,
      minMb: runsMb.length ? Math.min(...runsMb) : 0,
      maxMb: runsMb.length ? Math.max(...runsMb) : 0,
      loadSeconds: args.rssDuration,
      latencyServersMb,
    },
  };
}

function machine() {
  let duckdb = '';
  try {
    duckdb = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')).version;
  } catch {
    /* unknown */
  }
  // BENCH_COMMIT names the commit when the bench runs from an exported copy of it (no .git).
  let commit = process.env.BENCH_COMMIT ?? '';
  if (!commit) {
    try {
      const git = (cmd: string) =>
        execSync(cmd, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim();
      commit = git('git rev-parse --short HEAD');
      const dirty = git('git status --porcelain -- src migrations package.json package-lock.json');
      if (dirty) commit += ' plus uncommitted changes';
    } catch {
      /* not a checkout */
    }
  }
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    duckdbNodeApi: duckdb,
    commit,
    // what startServer gives the server processes
    uvThreadpool: process.env.UV_THREADPOOL_SIZE ?? '8',
    /** 1, 5 and 15 minute load averages: the machine is shared, so this says how busy it was */
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

// ---------------------------------------------------------------------------------------------
// RESULTS.md

const f = (x: number, d = 1) => x.toFixed(d);
const int = (x: number) => Math.round(x).toLocaleString('en-US');
/** A latency ratio with its meaning in words. */
/** Rounded against driftql: a time or a ratio where lower favours driftql goes up, one where higher favours it goes down. */
const up = (x: number, d = 1) => (Math.ceil(x * 10 ** d - 1e-9) / 10 ** d).toFixed(d);
const down = (x: number, d = 1) => (Math.floor(x * 10 ** d + 1e-9) / 10 ** d).toFixed(d);
const latencyRatio = (r: number) =>
  `${up(r, 2)}× (${r < 1 ? `driftql ${down(1 / r, 2)}× faster` : r > 1 ? `driftql ${up(r, 2)}× slower` : 'equal'})`;
/** An ingest throughput ratio with its meaning in words. */
const throughputRatio = (r: number) =>
  `${down(r, 2)}× (${r < 1 ? `driftql takes ${up(1 / r, 2)}× as long` : r > 1 ? `driftql ${down(r, 2)}× faster` : 'equal'})`;

function loadLine(label: string, l: LoadResult | null): string {
  if (!l) return `- ${label}: not measured.`;
  return (
    `- ${label}: **${down(l.requestsPerSec, 0)} req/s**, latency p50 ${l.p50} ms, p99 ${l.p99} ms ` +
    `(${l.query}; ${l.connections} connections, ${l.seconds} s, ${int(l.requests)} requests; ${l.errors} errors, ${l.timeouts} timeouts, ${l.non2xx} non-2xx, ${l.graphqlErrors} GraphQL errors).`
  );
}

function render(results: ScaleResult[]): string {
  const lines = [
    '# Benchmark results',
    '',
    'Generated by `npm run bench` (`-- --scales L` for the large scale); each scale says when, where and at which commit it ran.',
    'Every number below is also in [`results.json`](results.json), with every individual sample.',
    '',
    'The machine is shared with other work, and the load average recorded with each scale says how busy it was (on 2 cores, a',
    'load average of 2 is already full). Absolute times and request rates are inflated by that load, more at some moments than',
    'others; the contenders of each comparison take turns call by call (ingest: repetition by repetition), so the ratios are less',
    'affected than the absolute figures, but they are not immune.',
    '',
    '## What is compared',
    '',
    '- **Ingest.** driftql ingest of a bundle (validation scan, id mapping, observations, prompt means, checkpoint values, one',
    '  transaction) against raw DuckDB on the same files, two ways: a plain `CREATE TABLE AS SELECT * FROM read_parquet/read_csv(...)`',
    '  ("CTAS"), and CTAS plus the aggregates driftql stores computed by hand-written SQL in the same transaction (prompt means with',
    '  generation counts, then per-checkpoint prompt count, mean and sd per stance; "CTAS + aggregates"). The hand-written SQL',
    "  uses DuckDB's `avg` and `stddev_samp`; driftql sums exactly (HUGEINT) so that its stored values do not depend on thread",
    '  count or file order, which is more work: the baseline is the cheaper of the two. Each side writes a fresh',
    '  database file. Two times are given: from the first statement to COMMIT, and to the database file being closed (when DuckDB',
    '  writes its checkpoint); the headline is the first. The files are read once, untimed,',
    '  beforehand to warm the OS page cache; then each side runs three times, the order alternating (driftql first, then the raw',
    "  sides first, then driftql first). Figures are medians of the three. The ratio is raw time ÷ driftql time, i.e. driftql's",
    '  throughput relative to the raw side: above 1 means driftql is faster.',
    '- **Queries.** Each analytic query as GraphQL over HTTP against a server with its result cache off',
    '  (`DRIFT_CACHE_ENTRIES=0`, `DRIFT_CACHE_BYTES=0`), so every call computes, beside two hand-written SQL baselines run in the bench process on a',
    '  DuckDB file holding the raw CTAS of the same Parquet files:',
    '  - **raw-table SQL** reads the raw observation table and computes prompt means and per-checkpoint values on every call,',
    '    then the SQL-expressible part of the metric;',
    '  - **materialised-table SQL** reads a per-checkpoint table (one row per run × stage × step × topic with the prompt count',
    '    and the mean and sd of prompt means per stance) built once from the raw table before timing starts. It only reads',
    '    pre-aggregated numbers, which is the limit for any server that serves them.',
    '',
    '  Neither baseline computes drift times, interpolation, confidence intervals, the ANOVA, GraphQL or JSON over HTTP, so both',
    '  are lower bounds for the work driftql does. Each contender gets 2 untimed warm-up calls, then they take turns call by',
    '  call (the starting one rotating) for the stated number of repetitions. Quoted: the median (p50) and p95 of those calls.',
    '  Ratios are driftql p50 ÷ baseline p50: below 1 means driftql is faster. "Cache on" repeats the same call against a',
    '  server with the default configuration, result cache on.',
    `- **Server settings.** Defaults, except \`DRIFT_MAX_COST=${BENCH_MAX_COST}\`: the default cost limit (2,000,000 estimated`,
    '  values) refuses `groupedTrajectories` over all 1,000 runs at scale L before it runs (estimated about 3 million values:',
    '  at M it is 302,940), so the all-run queries could not be measured at L with it.',
    '- **Load.** autocannon at 50 connections. *Cache off, varied*: each request asks for the chart of a run and a topic drawn',
    '  from a seeded PRNG (the same sequence every time), against a server with the result cache off. *Cache on, one query*:',
    '  the same request over and over against a server with the cache on, which is served from memory. The run and stage',
    '  catalogue is held in memory in both.',
    "- **Peak RSS.** Separate server processes, default configuration (result cache on, default bounds), each on the scale's",
    '  database, taking varied chart load and then every all-run query once; VmHWM from `/proc/<pid>/status`. Quoted: min',
    '  and max over the runs.',
  ];
  for (const r of results) {
    const m = r.machine;
    lines.push('', `## Scale ${r.scale}: ${r.runs} runs, ${r.rows.toLocaleString('en-US')} observation rows`, '');
    lines.push(
      `Run from ${m.date.slice(0, 16).replace('T', ' ')} to ${m.endedAt.slice(11, 16)} UTC at commit ${m.commit || 'n/a'}: ${m.cores} × ${m.cpu}, ${m.memoryGb} GiB, ` +
        `shared with other work (load average ${m.loadAverage.join(' / ')} at the start, ${m.loadAverageAtEnd.join(' / ')} at the end, over 1 / 5 / 15 min); ` +
        `Node ${m.node}; @duckdb/node-api ${m.duckdbNodeApi}; server UV_THREADPOOL_SIZE=${m.uvThreadpool}, 4 read connections. ` +
        `Ingest: ${r.ingest.length ? `${r.ingest[0]!.driftqlSec.length} repetitions per side` : 'not measured'}; queries: ${r.reps} repetitions per contender.`,
      '',
    );
    for (const note of r.notes ?? []) lines.push(`Note: ${note}`, '');
    if (!r.ingest.length) lines.push(`Ingest: ${r.ingestNote ?? 'not measured'}.`);
    else {
      const ingestReps = r.ingest[0]?.driftqlSec.length ?? 0;
      lines.push(
        `| ingest (median of ${ingestReps}) | driftql | raw CTAS | raw CTAS + aggregates | driftql throughput ÷ CTAS throughput | driftql throughput ÷ CTAS + aggregates throughput |`,
        '|---|---|---|---|---|---|',
      );
      const runs = (xs: number[], round = down) => xs.map((x) => round(x, 2)).join(', ');
      for (const i of r.ingest) {
        lines.push(
          `| ${i.format}, until COMMIT | ${up(i.median.driftql, 2)} s (${int(Math.floor(r.rows / i.median.driftql))} rows/s; runs ${runs(i.driftqlSec, up)}) ` +
            `| ${down(i.median.ctas, 2)} s (${int(Math.ceil(r.rows / i.median.ctas))} rows/s; runs ${runs(i.ctasSec)}) ` +
            `| ${down(i.median.ctasAgg, 2)} s (runs ${runs(i.ctasAggSec)}) | ${throughputRatio(i.vsCtas)} | ${throughputRatio(i.vsCtasAgg)} |`,
          `| ${i.format}, until the file is closed | ${up(i.medianClosed.driftql, 2)} s (runs ${runs(i.driftqlClosedSec, up)}) ` +
            `| ${down(i.medianClosed.ctas, 2)} s (runs ${runs(i.ctasClosedSec)}) ` +
            `| ${down(i.medianClosed.ctasAgg, 2)} s (runs ${runs(i.ctasAggClosedSec)}) | ${throughputRatio(i.vsCtasClosed)} | ${throughputRatio(i.vsCtasAggClosed)} |`,
        );
      }
      lines.push(
        '',
        `Database files: ${r.ingest
          .map(
            (i) =>
              `${i.format} driftql ${f(i.dbMb.driftql, 0)} MB, CTAS ${f(i.dbMb.ctas, 0)} MB, CTAS + aggregates ${f(i.dbMb.ctasAgg, 0)} MB`,
          )
          .join('; ')}. Run order per repetition: ${r.ingest[0]?.orders.map((o) => o.join(' → ')).join('; ') ?? ''}.`,
      );
    }
    lines.push(
      '',
      `Check: driftql's checkpoint_values and the materialised table both have ${int(r.check.rows)} rows; largest difference in ` +
        `support mean or sd ${r.check.maxAbsDiff.toExponential(1)}. Building the materialised table took ${f(r.materialiseSec, 1)} s (outside the timing).`,
      '',
      `| query (p50 / p95 of ${r.reps}) | driftql, cache off | raw-table SQL | materialised-table SQL | driftql ÷ raw-table SQL (p50) | driftql ÷ materialised-table SQL (p50) | driftql, cache on |`,
      '|---|---|---|---|---|---|---|',
    );
    for (const q of r.queries) {
      lines.push(
        `| ${q.name} | ${up(q.driftql.p50)} / ${up(q.driftql.p95)} ms | ${down(q.raw.p50)} / ${down(q.raw.p95)} ms | ${down(q.mat.p50)} / ${down(q.mat.p95)} ms ` +
          `| ${latencyRatio(q.ratioRaw)} | ${latencyRatio(q.ratioMat)} | ${up(q.warm.p50)} / ${up(q.warm.p95)} ms |`,
      );
    }
    lines.push(
      '',
      'Load:',
      '',
      loadLine('cache off, varied chart queries', r.load.uncachedVaried),
      loadLine('cache on, one query repeated', r.load.cachedSingle),
    );
    lines.push(
      '',
      `Peak server RSS over ${r.rss.runsMb.length} runs (each ${r.rss.loadSeconds} s of varied load, then every all-run query): ` +
        `**${up(r.rss.minMb, 0)}–${up(r.rss.maxMb, 0)} MiB** (runs: ${r.rss.runsMb.map((x) => up(x, 0)).join(', ')} MiB). ` +
        `The servers used for the latencies and load above peaked at ${f(r.rss.latencyServersMb.cacheOff, 0)} MiB (cache off) ` +
        `and ${f(r.rss.latencyServersMb.cacheOn, 0)} MiB (cache on).`,
    );
  }
  lines.push(...targets(results));
  return lines.join('\n') + '\n';
}

/** The project's targets at scale M (RSS at L), measured against this run's figures. */
function targets(results: ScaleResult[]): string[] {
  const M = results.find((r) => r.scale === 'M');
  const L = results.find((r) => r.scale === 'L');
  if (!M) return [];
  const q = (name: string) => M.queries.find((x) => x.name.startsWith(name));
  const rows: [string, string, boolean | null, string][] = [];
  for (const i of M.ingest) {
    rows.push([
      `ingest ${i.format} ≥ 1.0× raw CTAS throughput`,
      `${down(i.vsCtas, 2)}× CTAS (${down(i.vsCtasAgg, 2)}× CTAS + aggregates)`,
      i.vsCtas >= 1,
      i.vsCtas >= 1
        ? ''
        : `missed by ${up((1 - i.vsCtas) * 100, 0)}%. Raw CTAS reads the files once and writes them; driftql reads them twice ` +
          `(a validation scan, then the insert), joins every row to integer run/stage/topic/prompt ids and aggregates prompt means and ` +
          `checkpoint values before committing${i.format === 'csv' ? '; for CSV both reads parse text' : ''}. Against CTAS plus the same ` +
          `aggregates in SQL it reaches ${down(i.vsCtasAgg, 2)}×.`,
    ]);
  }
  const t1 = q('trajectories, 1 run');
  if (t1)
    rows.push([
      '`trajectories`, 1 run, p50 ≤ 1.2× raw SQL',
      `${up(t1.ratioRaw, 2)}× raw-table SQL; ${up(t1.ratioMat, 2)}× materialised-table SQL (${up(t1.driftql.p50)} ms, cache off)`,
      t1.ratioRaw <= 1.2,
      `judged against raw-table SQL, as the target is written; against the materialised table, driftql ${t1.ratioMat <= 1.2 ? 'is also within 1.2×' : `is ${up(t1.ratioMat, 1)}× (it also does GraphQL, JSON over HTTP and confidence intervals)`}.`,
    ]);
  const d = q('driftMetrics');
  if (d) rows.push(['`driftMetrics`, all runs, ≤ 300 ms', `${up(d.driftql.p50, 0)} ms p50, cache off`, d.driftql.p50 <= 300, '']);
  const e = q('effectDecomposition');
  if (e) rows.push(['`effectDecomposition` ≤ 100 ms', `${up(e.driftql.p50, 0)} ms p50, cache off`, e.driftql.p50 <= 100, '']);
  const u = M.load.uncachedVaried;
  if (u) {
    const c = M.load.cachedSingle;
    rows.push([
      '≥ 1,000 req/s one-run `trajectories` at 50 connections, p99 ≤ 100 ms',
      `${down(u.requestsPerSec, 0)} req/s, p99 ${u.p99} ms (cache off, varied)`,
      u.requestsPerSec >= 1000 && u.p99 <= 100,
      `judged on the cache-off varied load; the cache-on single query gives ${c ? `${down(c.requestsPerSec, 0)} req/s, p99 ${c.p99} ms` : 'n/a'}. ` +
        'Chart-sized query: one run, one topic, three stances (78 points).',
    ]);
  }
  rows.push([
    'server RSS ≤ 1.5 GiB (1,536 MiB) at scale L',
    L ? `${up(L.rss.minMb, 0)}–${up(L.rss.maxMb, 0)} MiB over ${L.rss.runsMb.length} runs` : 'not measured in this results file',
    L ? L.rss.maxMb <= 1536 : null,
    L ? 'judged on the largest of the runs. DRIFT_MEMORY_LIMIT bounds the DuckDB part of the memory.' : '',
  ]);
  return [
    '',
    '## Targets (scale M unless stated)',
    '',
    '| target | measured | met | note |',
    '|---|---|---|---|',
    ...rows.map(([t, v, ok, note]) => `| ${t} | ${v} | ${ok === null ? 'n/a' : ok ? 'yes' : '**no**'} | ${note} |`),
  ];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(args.out, { recursive: true });
  // Scales run now replace their earlier results; other scales' results are kept (L is slow, so
  // it is usually run on its own).
  const file = path.join(ROOT, 'bench', 'results.json');
  const previous: ScaleResult[] = fs.existsSync(file)
    ? ((JSON.parse(fs.readFileSync(file, 'utf8')) as { results?: ScaleResult[] }).results ?? []).filter((r) => r.version === VERSION)
    : [];
  if (process.argv.includes('--render')) args.scales = []; // re-render RESULTS.md from results.json only
  const order = Object.keys(SCALES);
  let results = previous;
  const save = () => {
    results.sort((a, b) => order.indexOf(a.scale) - order.indexOf(b.scale));
    const md = render(results);
    fs.writeFileSync(file, JSON.stringify({ results }, null, 2) + '\n');
    fs.writeFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), md);
    return md;
  };
  // Each scale is saved as soon as it finishes, so a failure at L keeps S and M.
  for (const scale of args.ingestOnly ? args.scales : []) {
    const r = results.find((x) => x.scale === scale);
    if (!r) throw new Error(`--ingest-only: no saved results for scale ${scale}`);
    const started = machine();
    log(`== ingest only, scale ${scale}: ${args.formats.join(', ')}; load average ${started.loadAverage.join(', ')}`);
    const dir = path.join(args.out, scale);
    const bundles = await generateBundles(path.join(dir, 'bundles'), SCALES[scale], log);
    const { ingest } = await benchIngest(dir, bundles, args);
    const ended = machine();
    r.ingest = ingest;
    delete r.ingestNote;
    const missing = (['parquet', 'csv'] as const).filter((f) => !args.formats.includes(f));
    r.notes = [
      ...(r.notes ?? []),
      `the ingest figures were measured separately, from ${started.date.slice(11, 16)} to ${ended.date.slice(11, 16)} UTC at commit ` +
        `${started.commit}, with load average ${started.loadAverage.join(' / ')} at the start and ${ended.loadAverage.join(' / ')} at the end` +
        (missing.length ? `; ${missing.join(' and ')} ingest was not measured at this scale, for lack of time` : '') +
        '.',
    ];
    save();
  }
  for (const scale of args.ingestOnly ? [] : args.scales) {
    const r = await benchScale(scale, args);
    results = [...results.filter((x) => x.scale !== scale), r];
    save();
  }
  process.stdout.write(save());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
