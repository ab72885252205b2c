/**
 * `npm run bench:load [-- --scale M] [--connections 200] [--duration 30] [--reps 5] [--seed 1] [--poll-ms 10] [--warmup 5]`
 *   (`-- --render` only rewrites LOAD.md from load-results.json)
 *
 * A bounded loopback load test of one server with the default cost limit and result cache:
 * 1. ingests a scale-M bundle (reusing bench/out/<scale>/bundles when `npm run bench` made one)
 *    into a temporary database, and starts `node dist/src/server.js` on it on 127.0.0.1;
 * 2. sends a mixed query set (one-run chart queries, one-run drift metrics and attribution, runs
 *    pages, datasets, topics and a few all-run drift metrics) with autocannon for a fixed time,
 *    and reports throughput, latency, errors and the server's peak RSS;
 * 3. measures event-loop responsiveness: while each of the heaviest queries the default cost limit
 *    lets through runs (cold), a worker thread polls GET /healthz and another sends small one-run
 *    queries, each every `poll-ms`, and their latencies during the heavy query are reported.
 * Writes bench/LOAD.md and bench/load-results.json. Every phase is bounded in time; the server is
 * stopped at the end, on error and on SIGINT/SIGTERM, and the temporary database is removed.
 */
import autocannon from 'autocannon';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DriftDb } from '../src/db/client';
import { migrate } from '../src/db/migrate';
import { ingestBundle } from '../src/ingest/ingest';
import { ROOT } from '../src/paths';
import {
  BenchServer,
  SERVER_ENV,
  benchTempDir,
  cleanupOnExit,
  log,
  machine,
  median,
  options,
  procStatusKb,
  quantile,
  report,
  round,
  sleep,
} from './common';
import { SCALES, generateBundles, prng, type Scale } from './generate';

let server: BenchServer | null = null;
const peakRssMib = () => server!.peakRssMib();

const VERSION = 1;
/** The whole run is stopped after this long, whatever it is doing. */
const WATCHDOG_MS = 20 * 60_000;
cleanupOnExit(WATCHDOG_MS);
const RSS_LIMIT_MIB = 1024;
const HEALTHZ_TARGET_MS = 100;
/** The server's default DRIFT_MAX_COST (src/config.ts); the server is started without overriding it. */
const DEFAULT_MAX_COST = 2_000_000;

interface Args {
  scale: Scale;
  connections: number;
  duration: number;
  reps: number;
  seed: number;
  pollMs: number;
  /** seconds of the same mix (another seed, 20 connections) before the measured load, so the server is not measured cold */
  warmup: number;
}

function parseArgs(argv: string[]): Args {
  const { num, scale } = options(argv);
  return {
    scale: scale(),
    connections: num('connections', 200, 1, 2000),
    duration: num('duration', 30, 1, 300),
    reps: num('reps', 5, 1, 50),
    seed: num('seed', 1, 0, 2 ** 31),
    pollMs: num('poll-ms', 10, 1, 1000),
    warmup: num('warmup', 5, 0, 60),
  };
}

const now = () => performance.timeOrigin + performance.now();

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

// ---------------------------------------------------------------------------------------------
// GraphQL

interface GqlResponse {
  status: number;
  ms: number;
  bytes: number;
  errors: string[];
  data?: unknown;
}

async function gql(url: string, query: string, variables?: object, parse = true): Promise<GqlResponse> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  // A large answer is only scanned for errors (Apollo writes `errors` first), not parsed.
  const head = text.slice(0, 2000);
  if (!parse && res.status === 200 && !head.includes('"errors"')) return { status: res.status, ms, bytes: text.length, errors: [] };
  const body = JSON.parse(text) as { data?: unknown; errors?: { message: string }[] };
  return { status: res.status, ms, bytes: text.length, errors: (body.errors ?? []).map((e) => e.message), data: body.data };
}

const F = {
  trajectory: `runId runKey topic stance points { stage stageKind step globalStep progress value ciLow ciHigh n }`,
  drift: `runId runKey topic stance stage stageKind magnitude driftTime startValue endValue extremumValue extremumStep`,
  attribution: `runId runKey topic stance totalDelta stages { stage stageKind delta netShare pathLength pathShare distributionShift }`,
  estimate: `mean sd se ciLow ciHigh n`,
};
const GROUPED_FIELDS = `levels { factor level } label topic stance runIds runKeys labs
  stages { index stage stageNames stageKind occurrenceFromEnd runs points { progress mean sd se ciLow ciHigh n }
           drift { magnitude { ${F.estimate} } driftTime { ${F.estimate} } } }`;

const Q = {
  chart: `query($id: ID!, $topic: String!, $c: Float!) { trajectories(runIds: [$id], topics: [$topic], confidence: $c) { ${F.trajectory} } }`,
  driftOne: `query($id: ID!, $c: Float!) { driftMetrics(runIds: [$id], confidence: $c) { ${F.drift} } }`,
  attributionOne: `query($id: ID!, $c: Float!) { stageAttribution(runIds: [$id], confidence: $c) { ${F.attribution} } }`,
  runsPage: `query($after: String) { runs(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id key model dataset { name lab } stages { name kind algorithm dataset totalSteps } } } }`,
  datasets: `{ datasets { id name lab version visibility contentHash ingestedAt runCount observationCount } }`,
  topics: `{ topics { name promptCount runCount } }`,
  driftAll: `query($c: Float!, $e: DriftEndpoint!) { driftMetrics(confidence: $c, endpoint: $e) { ${F.drift} } }`,
};

/** The mixed load: share of requests per kind (sums to 100). */
const MIX: { kind: keyof typeof Q; weight: number; what: string }[] = [
  { kind: 'chart', weight: 45, what: '`trajectories`, one random run × one random topic, all stances, all points (a chart)' },
  { kind: 'driftOne', weight: 15, what: '`driftMetrics`, one random run, all topics and stances' },
  { kind: 'attributionOne', weight: 15, what: '`stageAttribution`, one random run, all topics and stances' },
  { kind: 'runsPage', weight: 8, what: '`runs(first: 50)`, a random page, with stages' },
  { kind: 'datasets', weight: 8, what: '`datasets`' },
  { kind: 'topics', weight: 8, what: '`topics`' },
  { kind: 'driftAll', weight: 1, what: '`driftMetrics` over all runs, all topics and stances (random endpoint LAST/EXTREMUM)' },
];
/** Confidence levels drawn for the analytic queries; with runs and topics they set how many distinct bodies there are. */
const CONFIDENCES = [0.9, 0.95, 0.99];

interface KindStats {
  sent: number;
  distinctBodies: number;
  status: Record<string, number>;
  graphqlErrors: number;
  p50: number;
  p99: number;
  max: number;
}

interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSec: number;
  latency: { p50: number; p97_5: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 200 responses whose body carries GraphQL errors */
  graphqlErrors: number;
  errorSamples: string[];
  distinctBodies: number;
  byKind: Record<string, KindStats>;
  serverLogLines: number;
  peakRssMiB: number;
  /** VmRSS sampled every 250 ms during the load */
  rssSamplesMiB: number[];
}

async function mixedLoad(
  url: string,
  ids: string[],
  topics: string[],
  cursors: (string | null)[],
  run: { connections: number; duration: number; seed: number },
): Promise<LoadResult> {
  const rnd = prng(run.seed);
  const total = MIX.reduce((s, m) => s + m.weight, 0);
  const body = (): { kind: string; body: string } => {
    let r = rnd() * total;
    const m = MIX.find((x) => (r -= x.weight) < 0) ?? MIX[0]!;
    const c = pick(rnd, CONFIDENCES);
    const variables: Record<string, unknown> | undefined = {
      chart: { id: pick(rnd, ids), topic: pick(rnd, topics), c },
      driftOne: { id: pick(rnd, ids), c },
      attributionOne: { id: pick(rnd, ids), c },
      runsPage: { after: pick(rnd, cursors) },
      datasets: undefined,
      topics: undefined,
      driftAll: { c, e: rnd() < 0.5 ? 'LAST' : 'EXTREMUM' },
    }[m.kind];
    return { kind: m.kind, body: JSON.stringify({ query: Q[m.kind], variables }) };
  };
  const byKind = new Map<string, { sent: number; bodies: Set<string>; status: Record<string, number>; gqlErr: number; ms: number[] }>();
  for (const m of MIX) byKind.set(m.kind, { sent: 0, bodies: new Set(), status: {}, gqlErr: 0, ms: [] });
  const allBodies = new Set<string>();
  const errorSamples: string[] = [];
  let graphqlErrors = 0;
  interface Ctx {
    kind?: string;
    t0?: number;
  }

  const pid = server!.child.pid!;
  const rssSamples: number[] = [];
  const rssTimer = setInterval(() => rssSamples.push(round(procStatusKb(pid, 'VmRSS') / 1024)), 250);
  const logBefore = server!.stderr.lines;
  const instance = autocannon({
    url,
    connections: run.connections,
    duration: run.duration,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req, context: Ctx) => {
          const b = body();
          const k = byKind.get(b.kind)!;
          k.sent++;
          k.bodies.add(b.body);
          allBodies.add(b.body);
          context.kind = b.kind;
          context.t0 = performance.now();
          return { ...req, body: b.body };
        },
        onResponse: (status, resBody, context: Ctx) => {
          const k = byKind.get(context.kind!)!;
          k.ms.push(performance.now() - context.t0!);
          k.status[status] = (k.status[status] ?? 0) + 1;
          const bad = status !== 200 || resBody.slice(0, 2000).includes('"errors"');
          if (status === 200 && bad) {
            graphqlErrors++;
            k.gqlErr++;
          }
          if (bad && errorSamples.length < 5) errorSamples.push(`${context.kind} HTTP ${status}: ${resBody.slice(0, 300)}`);
        },
      },
    ],
  });
  const result = await instance;
  clearInterval(rssTimer);
  const kinds: Record<string, KindStats> = {};
  for (const [kind, k] of byKind) {
    kinds[kind] = {
      sent: k.sent,
      distinctBodies: k.bodies.size,
      status: k.status,
      graphqlErrors: k.gqlErr,
      p50: round(quantile(k.ms, 0.5)),
      p99: round(quantile(k.ms, 0.99)),
      max: k.ms.length ? round(Math.max(...k.ms)) : NaN,
    };
  }
  return {
    connections: run.connections,
    seconds: run.duration,
    requests: result.requests.total,
    requestsPerSec: result.requests.average,
    latency: {
      p50: result.latency.p50,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    errorSamples,
    distinctBodies: allBodies.size,
    byKind: kinds,
    serverLogLines: server!.stderr.lines - logBefore,
    peakRssMiB: round(peakRssMib()),
    rssSamplesMiB: rssSamples,
  };
}

// ---------------------------------------------------------------------------------------------
// Event-loop responsiveness: pollers in worker threads, so that the client's own work (reading a
// large answer) does not delay their timings.

const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, method, bodies, intervalMs, maxMs } = workerData;
let stop = false;
parentPort.on('message', (m) => { if (m === 'stop') stop = true; });
(async () => {
  const samples = [];
  const deadline = performance.now() + maxMs;
  let next = performance.now();
  let i = 0;
  while (!stop && performance.now() < deadline) {
    const t0 = performance.now();
    let status = 0;
    let ok = false;
    try {
      const res = await fetch(url, method === 'GET' ? { signal: AbortSignal.timeout(30000) } : {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i++ % bodies.length],
        signal: AbortSignal.timeout(30000) });
      const text = await res.text();
      status = res.status;
      ok = res.status === 200 && !text.includes('"errors"');
    } catch { status = -1; }
    const t1 = performance.now();
    samples.push([performance.timeOrigin + t0, t1 - t0, status, ok ? 1 : 0]);
    next += intervalMs;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait)); else next = performance.now();
  }
  parentPort.postMessage(samples);
})();
`;

type Sample = [start: number, ms: number, status: number, ok: number];

interface Poller {
  stop(): Promise<Sample[]>;
}

function startPoller(url: string, method: 'GET' | 'POST', bodies: string[], intervalMs: number, maxMs: number): Poller {
  const worker = new Worker(POLLER, { eval: true, workerData: { url, method, bodies, intervalMs, maxMs } });
  const done = new Promise<Sample[]>((resolve, reject) => {
    worker.once('message', (m: Sample[]) => resolve(m));
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const samples = await done;
      await worker.terminate();
      return samples;
    },
  };
}

interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  failed: number;
}

/** Latencies of the polls in flight at any moment in [from, to]. */
function summarise(samples: Sample[], from: number, to: number): LatencySummary {
  const inWindow = samples.filter(([start, ms]) => start <= to && start + ms >= from);
  const ms = inWindow.map((s) => s[1]);
  return {
    count: ms.length,
    p50: round(quantile(ms, 0.5)),
    p99: round(quantile(ms, 0.99)),
    max: round(ms.length ? Math.max(...ms) : NaN),
    failed: inWindow.filter((s) => s[3] !== 1).length,
  };
}

interface HeavyCandidate {
  name: string;
  what: string;
  /** the operation for repetition `rep` (a different confidence each time, so the result cache never answers it) */
  op: (rep: number) => { query: string; variables?: object };
}

interface ProbeResult {
  name: string;
  what: string;
  passed: boolean;
  status: number;
  ms: number;
  bytes: number;
  error?: string;
}

interface RepResult {
  heavyMs: number;
  heavyBytes: number;
  heavyStatus: number;
  heavyOk: boolean;
  baseline: { healthz: LatencySummary; small: LatencySummary };
  during: { healthz: LatencySummary; small: LatencySummary };
}

interface HeavyResult {
  name: string;
  what: string;
  reps: RepResult[];
  median: {
    heavyMs: number;
    healthzMax: number;
    healthzP99: number;
    smallMax: number;
    smallP99: number;
    baselineHealthzMax: number;
    baselineHealthzP99: number;
  };
  worst: { healthzMax: number; smallMax: number };
  /** server VmHWM after this candidate's repetitions (monotonic: the run's peak so far) */
  peakRssAfterMiB: number;
}

/** Confidence for repetition `rep` (probe: -1), alias `k`: never one the load or another repetition used. */
const coldConfidence = (rep: number, k = 0) => 0.9 - 0.0001 * ((rep + 2) * 100 + k);

/** The value total the server estimates for an operation it refuses, from its message. */
async function refusedCost(url: string, query: string): Promise<number | null> {
  const r = await gql(url, query);
  const m = /would return about ([\d,]+) values/.exec(r.errors[0] ?? '');
  return r.status === 400 && m ? Number(m[1]!.replace(/,/g, '')) : null;
}

async function heavyCandidates(url: string): Promise<{ candidates: HeavyCandidate[]; notes: string[] }> {
  const notes: string[] = [];
  const grouped = (c: number, grid: number) =>
    `groupedTrajectories(groupBy: [ALGORITHM, DATASET], gridPoints: ${grid}, confidence: ${c}) { ${GROUPED_FIELDS} }`;
  const candidates: HeavyCandidate[] = [
    {
      name: 'grouped-default',
      what: '`groupedTrajectories`, all runs, groupBy [ALGORITHM, DATASET], default grid (50), every field',
      op: (rep) => ({ query: `{ ${grouped(coldConfidence(rep), 50)} }` }),
    },
    {
      name: 'drift-all',
      what: '`driftMetrics`, all runs, all topics and stances, every field',
      op: (rep) => ({ query: `{ driftMetrics(confidence: ${coldConfidence(rep)}) { ${F.drift} } }` }),
    },
    {
      name: 'attribution-all',
      what: '`stageAttribution`, all runs, all topics and stances, every field',
      op: (rep) => ({ query: `{ stageAttribution(confidence: ${coldConfidence(rep)}) { ${F.attribution} } }` }),
    },
    {
      name: 'trajectories-all',
      what: '`trajectories`, all runs (a trajectory query takes at most 200), all topics, stances and points, every field',
      op: (rep) => ({ query: `{ trajectories(confidence: ${coldConfidence(rep)}) { ${F.trajectory} } }` }),
    },
  ];

  // The largest grid the cost limit lets groupedTrajectories have: the estimate is linear in the
  // grid, so two refused estimates give it (refusals are answered before anything runs).
  const a = await refusedCost(url, `{ ${grouped(0.95, 1000)} }`);
  const b = await refusedCost(url, `{ ${grouped(0.95, 999)} }`);
  if (a !== null && b !== null && a > b) {
    const perPoint = a - b;
    const grid = Math.min(1000, Math.floor((DEFAULT_MAX_COST - (b - 999 * perPoint)) / perPoint));
    if (grid >= 2) {
      notes.push(
        `groupedTrajectories: the estimate grows by ${perPoint.toLocaleString('en-US')} values per grid point; ${grid} is the largest grid under the limit`,
      );
      candidates.push({
        name: 'grouped-max-grid',
        what: `\`groupedTrajectories\`, all runs, groupBy [ALGORITHM, DATASET], gridPoints ${grid} (the largest the cost limit allows), every field`,
        op: (rep) => ({ query: `{ ${grouped(coldConfidence(rep), grid)} }` }),
      });
    }
  } else {
    notes.push('groupedTrajectories with gridPoints 1000 passes the cost limit at this scale; no larger grid exists');
  }

  // As many aliased all-run trajectory queries as fit under the limit, each with its own
  // confidence so that none shares a computation: the most one operation may ask for.
  const probeAliases = 40;
  const many = await refusedCost(
    url,
    `{ ${Array.from({ length: probeAliases }, (_, k) => `t${k}: trajectories(confidence: ${coldConfidence(-1, k)}) { ${F.trajectory} }`).join(' ')} }`,
  );
  if (many !== null) {
    const per = many / probeAliases;
    const k = Math.floor(DEFAULT_MAX_COST / per);
    notes.push(
      `all-run trajectories: about ${Math.round(per).toLocaleString('en-US')} values each; ${k} fit in one operation under the limit`,
    );
    if (k >= 2) {
      candidates.push({
        name: `trajectories-all-x${k}`,
        what: `one operation with ${k} aliased all-run \`trajectories\` (each its own confidence, so none is shared or cached), every field: as many as the cost limit allows`,
        op: (rep) => ({
          query: `{ ${Array.from({ length: k }, (_, i) => `t${i}: trajectories(confidence: ${coldConfidence(rep, i)}) { ${F.trajectory} }`).join(' ')} }`,
        }),
      });
    }
  }
  return { candidates, notes };
}

async function responsiveness(
  url: string,
  healthUrl: string,
  ids: string[],
  topics: string[],
  args: Args,
): Promise<{ probes: ProbeResult[]; notes: string[]; heavy: HeavyResult[]; peakRssAfterProbesMiB: number }> {
  const { candidates, notes } = await heavyCandidates(url);
  // One cold call each: whether it passes the cost limit, and how long it takes.
  const probes: ProbeResult[] = [];
  for (const c of candidates) {
    const { query, variables } = c.op(-1);
    const r = await gql(url, query, variables, false);
    probes.push({
      name: c.name,
      what: c.what,
      passed: r.status === 200 && r.errors.length === 0,
      status: r.status,
      ms: round(r.ms),
      bytes: r.bytes,
      error: r.errors[0],
    });
    log(
      `  probe ${c.name}: HTTP ${r.status} in ${r.ms.toFixed(0)} ms, ${(r.bytes / 1048576).toFixed(1)} MiB${r.errors[0] ? `: ${r.errors[0]}` : ''}`,
    );
  }

  const peakRssAfterProbesMiB = round(peakRssMib());
  log(`  server peak RSS after the probes: ${peakRssAfterProbesMiB} MiB`);

  // Small one-run chart queries sent alongside: random run and topic, and a confidence no other
  // request uses, so each is computed (cold), not answered from the cache.
  const rnd = prng(args.seed + 1);
  let counter = 0;
  const smallBodies = (count: number) =>
    Array.from({ length: count }, () =>
      JSON.stringify({ query: Q.chart, variables: { id: pick(rnd, ids), topic: pick(rnd, topics), c: 0.8 + ++counter * 1e-7 } }),
    );
  const heavy: HeavyResult[] = [];
  for (const c of candidates) {
    if (!probes.find((p) => p.name === c.name)?.passed) continue;
    const reps: RepResult[] = [];
    for (let rep = 0; rep < args.reps; rep++) {
      await sleep(1000); // the previous answer's garbage collected, before the baseline starts
      const maxMs = 180_000;
      const health = startPoller(healthUrl, 'GET', [], args.pollMs, maxMs);
      const small = startPoller(url, 'POST', smallBodies(4000), args.pollMs, maxMs);
      const baseFrom = now();
      await sleep(1000);
      const baseTo = now();
      const { query, variables } = c.op(rep);
      const from = now();
      const r = await gql(url, query, variables, false);
      const to = now();
      await sleep(200);
      const [hs, ss] = await Promise.all([health.stop(), small.stop()]);
      const rr: RepResult = {
        heavyMs: round(r.ms),
        heavyBytes: r.bytes,
        heavyStatus: r.status,
        heavyOk: r.status === 200 && r.errors.length === 0,
        baseline: { healthz: summarise(hs, baseFrom, baseTo), small: summarise(ss, baseFrom, baseTo) },
        during: { healthz: summarise(hs, from, to), small: summarise(ss, from, to) },
      };
      reps.push(rr);
      log(
        `  ${c.name} #${rep + 1}: ${rr.heavyMs} ms (HTTP ${r.status}); healthz during it max ${rr.during.healthz.max} ms, p99 ${rr.during.healthz.p99} ms ` +
          `(${rr.during.healthz.count} polls); small query max ${rr.during.small.max} ms, p99 ${rr.during.small.p99} ms`,
      );
    }
    const m = (f: (r: RepResult) => number) => round(median(reps.map(f)));
    heavy.push({
      name: c.name,
      what: c.what,
      reps,
      median: {
        heavyMs: m((r) => r.heavyMs),
        healthzMax: m((r) => r.during.healthz.max),
        healthzP99: m((r) => r.during.healthz.p99),
        smallMax: m((r) => r.during.small.max),
        smallP99: m((r) => r.during.small.p99),
        baselineHealthzMax: m((r) => r.baseline.healthz.max),
        baselineHealthzP99: m((r) => r.baseline.healthz.p99),
      },
      worst: {
        healthzMax: Math.max(...reps.map((r) => r.during.healthz.max)),
        smallMax: Math.max(...reps.map((r) => r.during.small.max)),
      },
      peakRssAfterMiB: round(peakRssMib()),
    });
  }
  return { probes, notes, heavy, peakRssAfterProbesMiB };
}

// ---------------------------------------------------------------------------------------------

interface Results {
  version: number;
  scale: Scale;
  runs: number;
  rows: number;
  args: Args;
  serverEnv: Record<string, string>;
  machineAtStart: ReturnType<typeof machine>;
  machineAtEnd: ReturnType<typeof machine>;
  ingestSec: number;
  bundle: string;
  load: LoadResult;
  warmup: LoadResult | null;
  responsiveness: Awaited<ReturnType<typeof responsiveness>>;
  peakRssMiB: number;
  serverLogLines: number;
  serverLogSample: string[];
}

const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const yes = (ok: boolean) => (ok ? 'yes' : '**no**');

function render(r: Results): string {
  const L = r.load;
  // autocannon counts a timeout as an error too.
  const errorsTotal = L.errors + L.non2xx + L.graphqlErrors;
  const heaviest = [...r.responsiveness.heavy].sort((a, b) => b.median.heavyMs - a.median.heavyMs)[0];
  const worstHealth = [...r.responsiveness.heavy].sort((a, b) => b.median.healthzMax - a.median.healthzMax)[0];
  const ms = (x: number) => (Number.isFinite(x) ? `${f1(x)} ms` : 'n/a');
  const rssVerdict = (x: number) =>
    x < RSS_LIMIT_MIB
      ? `yes (${f1(RSS_LIMIT_MIB - x)} MiB to spare)`
      : `**no** (${f1(x - RSS_LIMIT_MIB)} MiB over, ${f1(x / RSS_LIMIT_MIB)}×)`;
  const by = (x: number, target: number) => (x <= target ? `${f1(target - x)} ms under` : `${f1(x - target)} ms over (${f1(x / target)}×)`);
  const lines: string[] = [
    `# Load test: mixed queries at ${r.args.connections} connections, and responsiveness under the heaviest allowed queries`,
    '',
    `Generated by \`npm run bench:load\` (bench/load.ts) on ${r.machineAtStart.date.slice(0, 16).replace('T', ' ')} UTC; raw numbers in ` +
      '`bench/load-results.json`. Everything runs on one machine over 127.0.0.1: the client (autocannon and the pollers) shares the CPU with the server.',
    '',
    '## Machine and settings',
    '',
    `- ${r.machineAtStart.cpus} × ${r.machineAtStart.cpuModel}, ${r.machineAtStart.memGiB} GiB, ${r.machineAtStart.platform}, Node ${r.machineAtStart.node}.`,
    `- Load average (1, 5, 15 min) at start ${r.machineAtStart.loadAverage.join(', ')}, at end ${r.machineAtEnd.loadAverage.join(', ')}. ` +
      (r.machineAtStart.otherBenchProcesses.length || r.machineAtEnd.otherBenchProcesses.length
        ? `**\`npm run bench\` was running at the same time** (at start: ${r.machineAtStart.otherBenchProcesses.length} process(es), at end: ${r.machineAtEnd.otherBenchProcesses.length}), so the numbers below are lower bounds of what an idle machine gives.`
        : 'No other benchmark was running.'),
    `- Data: scale ${r.scale}, ${r.runs} runs, ${r.rows.toLocaleString('en-US')} observation rows (bench/generate.ts: base → SFT 15 checkpoints → preference 10, × 11 topics × 50 prompts × 5 answers), ` +
      `ingested from the Parquet bundle into a temporary database in ${f1(r.ingestSec)} s.`,
    `- Server: \`node dist/src/server.js\` with ${Object.entries(r.serverEnv)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(', ')}, a free port, and everything else at its default: cost limit \`DRIFT_MAX_COST\` 2,000,000, result cache on (256 MiB), ` +
      '4 read connections, statement time limit 30 s.',
    '',
    '## Targets',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    `| no errors, timeouts, non-2xx or GraphQL errors under the mixed load | ${L.errors} errors (${L.timeouts} of them timeouts), ${L.non2xx} non-2xx, ${L.graphqlErrors} GraphQL errors in ${f0(L.requests)} requests | ${yes(errorsTotal === 0)} |`,
    `| server peak RSS (VmHWM since start) under 1 GiB (1,024 MiB) through the mixed load | ${f1(L.peakRssMiB)} MiB | ${rssVerdict(L.peakRssMiB)} |`,
    `| the same over the whole run, including the heavy queries of part 2 | ${f1(r.peakRssMiB)} MiB | ${rssVerdict(r.peakRssMiB)} |`,
  ];
  for (const h of r.responsiveness.heavy) {
    lines.push(
      `| \`/healthz\` max under ${HEALTHZ_TARGET_MS} ms during ${h.name} (median of ${h.reps.length}) | ${ms(h.median.healthzMax)} (worst rep ${ms(h.worst.healthzMax)}); query ${ms(h.median.heavyMs)} | ${yes(h.median.healthzMax < HEALTHZ_TARGET_MS)}, ${by(h.median.healthzMax, HEALTHZ_TARGET_MS)} |`,
      `| \`/healthz\` p99 under ${HEALTHZ_TARGET_MS} ms during ${h.name} (median of ${h.reps.length}) | ${ms(h.median.healthzP99)} | ${yes(h.median.healthzP99 < HEALTHZ_TARGET_MS)}, ${by(h.median.healthzP99, HEALTHZ_TARGET_MS)} |`,
    );
  }
  lines.push(
    '',
    'There is no throughput target for the mixed load; its numbers are reported as measured. The small one-run query in parallel with the heavy ones is reported below against the same 100 ms for reference.',
    '',
    `## 1. Mixed load: ${r.args.connections} connections for ${r.args.duration} s`,
    '',
    `autocannon, in one process, \`requests\` with \`setupRequest\` drawing each body from a seeded PRNG (seed ${r.args.seed}), ` +
      `confidence drawn from ${CONFIDENCES.join(', ')} for the analytic queries. ` +
      (r.warmup
        ? `Before it, the same mix with another seed at 20 connections for ${r.warmup.seconds} s warmed the server up ` +
          `(${f0(r.warmup.requestsPerSec)} req/s, p99 ${r.warmup.latency.p99} ms, ${r.warmup.errors + r.warmup.non2xx + r.warmup.graphqlErrors} failures; not counted below). `
        : 'No warm-up: the server was measured from its first request. ') +
      'Share of requests:',
    '',
    ...MIX.map((m) => `- ${m.weight}% ${m.what}`),
    '',
    `| req/s (mean) | requests | p50 | p97.5 | p99 | max | errors | of them timeouts | non-2xx | GraphQL errors |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    `| ${f0(L.requestsPerSec)} | ${f0(L.requests)} | ${L.latency.p50} ms | ${L.latency.p97_5} ms | ${L.latency.p99} ms | ${L.latency.max} ms | ${L.errors} | ${L.timeouts} | ${L.non2xx} | ${L.graphqlErrors} |`,
    '',
    "autocannon's figures: req/s is the mean of its per-second counts, latencies are of 2xx responses, requests still in flight when the time is up are not counted, " +
      'and a timeout (10 s) counts as an error too. GraphQL errors are 200 responses whose body holds `errors`.',
    '',
    `${f0(L.distinctBodies)} distinct request bodies among the ${f0(Object.values(L.byKind).reduce((s, k) => s + k.sent, 0))} sent, so at least ` +
      `${f0(Object.values(L.byKind).reduce((s, k) => s + k.sent, 0) - L.distinctBodies)} repeated an earlier body and could be answered from the result cache (which is on, as by default). ` +
      `Server peak RSS after the load: ${f1(L.peakRssMiB)} MiB; RSS sampled every 250 ms during it peaked at ${f1(Math.max(...L.rssSamplesMiB))} MiB. ` +
      `The server wrote ${L.serverLogLines} line(s) to stderr during the load.`,
    '',
    'Per kind, latency measured by the client from `setupRequest` to the response (includes the client queue):',
    '',
    '| kind | sent | distinct bodies | HTTP status | GraphQL errors | p50 | p99 | max |',
    '|---|---|---|---|---|---|---|---|',
    ...Object.entries(L.byKind).map(
      ([k, s]) =>
        `| ${k} | ${f0(s.sent)} | ${f0(s.distinctBodies)} | ${
          Object.entries(s.status)
            .map(([st, n]) => `${st}: ${f0(n)}`)
            .join(', ') || 'none answered'
        } | ${s.graphqlErrors} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`,
    ),
  );
  if (L.errorSamples.length) lines.push('', 'First failing responses:', '', ...L.errorSamples.map((e) => `- \`${e.replace(/`/g, "'")}\``));
  lines.push(
    '',
    '## 2. Responsiveness under the heaviest queries the cost limit allows',
    '',
    `Each candidate is first sent once, cold, to see whether the default cost limit lets it through and how long it takes. ` +
      `Then, ${r.args.reps} times for each that passes (each time with a confidence no other request used, so the result cache never answers it): ` +
      `two worker threads start polling, one \`GET /healthz\` (answered from memory; it reads DuckDB only after the data changed) and one a small one-run chart query ` +
      `(random run and topic, and a confidence used by no other request, so always computed), each every ${r.args.pollMs} ms (the next poll waits for the previous answer); ` +
      'after a 1 s baseline the heavy query is sent; the polls in flight at any moment while it runs are its "during" sample. Medians over the repetitions:',
    '',
    ...r.responsiveness.notes.map((n) => `- ${n}`),
    '',
    '| candidate | probe | heavy query (median) | answer | healthz max | healthz p99 | small query max | small query p99 | baseline healthz max / p99 | server peak RSS after |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const p of r.responsiveness.probes) {
    const h = r.responsiveness.heavy.find((x) => x.name === p.name);
    if (!h) {
      lines.push(`| ${p.name} | HTTP ${p.status}, ${ms(p.ms)}${p.error ? `: ${p.error.slice(0, 160)}` : ''} | not run | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${p.name} | HTTP ${p.status}, ${ms(p.ms)} | ${ms(h.median.heavyMs)} | ${f1(median(h.reps.map((x) => x.heavyBytes)) / 1048576)} MiB | ` +
        `${ms(h.median.healthzMax)} | ${ms(h.median.healthzP99)} | ${ms(h.median.smallMax)} | ${ms(h.median.smallP99)} | ${ms(h.median.baselineHealthzMax)} / ${ms(h.median.baselineHealthzP99)} | ${f1(h.peakRssAfterMiB)} MiB |`,
    );
  }
  lines.push(
    '',
    `Server peak RSS after the mixed load ${f1(L.peakRssMiB)} MiB, after the probes ${f1(r.responsiveness.peakRssAfterProbesMiB)} MiB; ` +
      "the last column is the peak after each candidate's repetitions (VmHWM only grows).",
    '',
    'Candidates:',
    '',
    ...r.responsiveness.probes.map((p) => `- **${p.name}**: ${p.what}`),
    '',
  );
  const failedHeavy = r.responsiveness.heavy.flatMap((h) => h.reps.filter((x) => !x.heavyOk).map(() => h.name));
  if (failedHeavy.length) lines.push(`Heavy queries that did not answer 200 without errors: ${failedHeavy.join(', ')}.`, '');
  const failedPolls = r.responsiveness.heavy.reduce(
    (s, h) => s + h.reps.reduce((t, x) => t + x.during.healthz.failed + x.during.small.failed, 0),
    0,
  );
  lines.push(`Polls that failed (non-200 or GraphQL errors) during the heavy queries: ${failedPolls}.`, '');
  if (heaviest && worstHealth) {
    lines.push(
      '## Summary',
      '',
      `- Mixed load: ${f0(L.requestsPerSec)} req/s, p50 ${L.latency.p50} ms, p97.5 ${L.latency.p97_5} ms, p99 ${L.latency.p99} ms; ` +
        `${errorsTotal === 0 ? 'no errors of any kind' : `**${errorsTotal} failures** (errors ${L.errors}, of them timeouts ${L.timeouts}; non-2xx ${L.non2xx}, GraphQL errors ${L.graphqlErrors})`}.`,
      `- Peak server RSS ${f1(L.peakRssMiB)} MiB through the mixed load (${L.peakRssMiB < RSS_LIMIT_MIB ? 'under' : '**over**'} 1 GiB), ` +
        `${f1(r.peakRssMiB)} MiB over the whole run with the heavy queries (${r.peakRssMiB < RSS_LIMIT_MIB ? 'under' : '**over**'} 1 GiB).`,
      `- The slowest query the default cost limit allows here is ${heaviest.name} (${ms(heaviest.median.heavyMs)} median). During it, /healthz took at most ` +
        `${ms(heaviest.median.healthzMax)} (p99 ${ms(heaviest.median.healthzP99)}), the small query at most ${ms(heaviest.median.smallMax)} (p99 ${ms(heaviest.median.smallP99)}).`,
      `- The worst /healthz stall was during ${worstHealth.name}: ${ms(worstHealth.median.healthzMax)} median max, ${ms(worstHealth.worst.healthzMax)} in its worst repetition; ` +
        `the ${HEALTHZ_TARGET_MS} ms target is ${
          r.responsiveness.heavy.every((h) => h.median.healthzMax < HEALTHZ_TARGET_MS && h.median.healthzP99 < HEALTHZ_TARGET_MS)
            ? 'met for every candidate'
            : `**missed** for ${r.responsiveness.heavy
                .filter((h) => !(h.median.healthzMax < HEALTHZ_TARGET_MS && h.median.healthzP99 < HEALTHZ_TARGET_MS))
                .map((h) => h.name)
                .join(', ')}`
        }.`,
      '',
    );
  }
  if (r.serverLogSample.length) lines.push('Server stderr, first lines:', '', ...r.serverLogSample.map((l) => `    ${l}`), '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (report.rerender<Results>('load', VERSION, render)) return;
  const args = parseArgs(process.argv.slice(2));
  const machineAtStart = machine();
  const n = SCALES[args.scale];
  log(`load test, scale ${args.scale} (${n} runs); load average ${machineAtStart.loadAverage.join(', ')}`);
  if (machineAtStart.otherBenchProcesses.length)
    log(`  note: npm run bench is running (${machineAtStart.otherBenchProcesses.length} process(es))`);

  // The main benchmark's bundle when it is complete (read only), else one generated here.
  const shared = path.join(ROOT, 'bench', 'out', args.scale, 'bundles', 'parquet');
  let bundle = shared;
  let rows = n * 71_500;
  if (!fs.existsSync(path.join(shared, 'manifest.json'))) {
    const made = await generateBundles(path.join(ROOT, 'bench', 'out', 'load', args.scale, 'bundles'), n, log);
    bundle = made.parquet;
    rows = made.rows;
  }
  const dbFile = path.join(benchTempDir('driftql-load-'), 'load.duckdb');
  log(`  ingesting ${path.relative(ROOT, bundle)} into ${dbFile}`);
  const t0 = performance.now();
  {
    const db = await DriftDb.open(dbFile, { readConnections: 1 });
    try {
      await migrate(db);
      await ingestBundle(db, bundle);
    } finally {
      await db.close();
    }
  }
  const ingestSec = (performance.now() - t0) / 1000;
  log(`  ingested in ${ingestSec.toFixed(1)} s`);

  server = await BenchServer.start(dbFile);
  const port = server.port;
  const url = `http://127.0.0.1:${port}/graphql`;
  const healthUrl = `http://127.0.0.1:${port}/healthz`;
  try {
    const ids: string[] = [];
    const cursors: (string | null)[] = [null];
    for (;;) {
      const r = await gql(
        url,
        `query($after: String) { runs(first: 50, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }`,
        {
          after: cursors.at(-1),
        },
      );
      const page = (r.data as { runs: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }).runs;
      ids.push(...page.nodes.map((x) => x.id));
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
      cursors.push(page.pageInfo.endCursor);
    }
    const topics = ((await gql(url, Q.topics)).data as { topics: { name: string }[] }).topics.map((t) => t.name);
    if (ids.length !== n) throw new Error(`server lists ${ids.length} runs, expected ${n}`);
    log(`  server on port ${port}: ${ids.length} runs, ${topics.length} topics`);

    let warmup: LoadResult | null = null;
    if (args.warmup > 0) {
      log(`warm-up: 20 connections for ${args.warmup} s (seed ${args.seed + 1000})`);
      warmup = await mixedLoad(url, ids, topics, cursors, { connections: 20, duration: args.warmup, seed: args.seed + 1000 });
      log(`  ${warmup.requestsPerSec.toFixed(0)} req/s, p99 ${warmup.latency.p99} ms`);
    }
    log(`mixed load: ${args.connections} connections for ${args.duration} s`);
    const load = await mixedLoad(url, ids, topics, cursors, { connections: args.connections, duration: args.duration, seed: args.seed });
    log(
      `  ${load.requestsPerSec.toFixed(0)} req/s, p50 ${load.latency.p50} ms, p97.5 ${load.latency.p97_5} ms, p99 ${load.latency.p99} ms; ` +
        `errors ${load.errors}, timeouts ${load.timeouts}, non-2xx ${load.non2xx}, GraphQL errors ${load.graphqlErrors}; peak RSS ${load.peakRssMiB} MiB`,
    );

    log(`responsiveness: /healthz and a small query every ${args.pollMs} ms during the heaviest allowed queries, ${args.reps} reps each`);
    await sleep(1000);
    const resp = await responsiveness(url, healthUrl, ids, topics, args);

    const results: Results = {
      version: VERSION,
      scale: args.scale,
      runs: n,
      rows,
      args,
      serverEnv: SERVER_ENV,
      machineAtStart,
      machineAtEnd: machine(),
      ingestSec: round(ingestSec, 2),
      bundle: path.relative(ROOT, bundle),
      warmup,
      load,
      responsiveness: resp,
      peakRssMiB: round(peakRssMib()),
      serverLogLines: server.stderr.lines,
      serverLogSample: server.stderr.sample,
    };
    await report.write('load', results, render);
  } finally {
    await server.stop();
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await server?.stop();
  process.exit(1);
});
