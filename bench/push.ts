/**
 * `npm run bench:push [-- --scale M] [--reps 3] [--clients 50] [--duration 30] [--idle 10] [--latency-clients 2]`
 *
 * Data in while serving, measured with real processes over 127.0.0.1:
 *
 * 1. Push against local ingest: `driftql push` of the scale's Parquet bundle to a server on a
 *    fresh database, end to end (pack, upload, ingest job, result printed), against `driftql
 *    ingest` of the same bundle into a fresh database, both timed as a user runs them (a CLI
 *    process each, wall time). Repetitions alternate; medians are compared.
 * 2. Push under load: a server holding the bundle once (dataset `bench-parquet`) answers
 *    `--clients` concurrent clients, first idle for `--idle` s, then for `--duration` s (at least
 *    until the job ends) while a copy of the bundle under another dataset name is pushed. Every
 *    answer must be the answer before the ingest or the one after it, never anything else; no
 *    request may fail.
 * 3. Latency: `--latency-clients` clients ask for one-run charts no one asked for before (each
 *    computed, not cached), idle and while a third copy is pushed; p99 during the ingest is
 *    compared with the idle p99.
 *
 * Writes bench/PUSH.md and bench/push-results.json (`-- --render` only rewrites PUSH.md from the JSON); servers and temporary databases are removed
 * however the run ends.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../src/paths';
import { BenchServer, benchTempDir, cleanupOnExit, log, machine, median, options, quantile, report, round, track } from './common';
import { SCALES, generateBundles, prng, type Scale } from './generate';

const VERSION = 1;
cleanupOnExit(30 * 60_000);

const PUSH_RATIO_TARGET = 1.3;
const P99_RATIO_TARGET = 3;
const PUSHED = 'bench-pushed';

interface Args {
  scale: Scale;
  reps: number;
  clients: number;
  duration: number;
  idle: number;
  latencyClients: number;
}

function parseArgs(argv: string[]): Args {
  const { num, scale } = options(argv);
  return {
    scale: scale(),
    reps: num('reps', 3, 1, 10),
    clients: num('clients', 50, 1, 500),
    duration: num('duration', 30, 5, 600),
    idle: num('idle', 10, 2, 600),
    latencyClients: num('latency-clients', 2, 1, 50),
  };
}

const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

/** Runs the CLI as a user would; resolves with its wall time in seconds, or rejects with its stderr. */
function cli(args: string[]): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DRIFT_')));
    const child = track(spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('exit', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code === 0) resolve({ seconds, stdout });
      else reject(new Error(`driftql ${args[0]} exited with ${code}: ${stderr.slice(-1000)}`));
    });
  });
}

/** An admin key made on the (stopped) database, as an operator makes the first one. */
async function adminKey(dbFile: string): Promise<string> {
  const { stdout } = await cli(['keys', 'create', '--lab', 'bench-lab', '--role', 'admin', '--db', dbFile]);
  const key = /dql_[A-Za-z0-9_-]+/.exec(stdout)?.[0];
  if (!key) throw new Error(`no key in: ${stdout}`);
  return key;
}

/** The bundle under another dataset name, its data files hard-linked (copied across file systems). */
function renamedCopy(bundle: string, dir: string, name: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(bundle, 'manifest.json'), 'utf8')) as { dataset: { name: string } };
  manifest.dataset.name = name;
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  for (const f of fs.readdirSync(bundle)) {
    if (f === 'manifest.json') continue;
    try {
      fs.linkSync(path.join(bundle, f), path.join(dir, f));
    } catch {
      fs.copyFileSync(path.join(bundle, f), path.join(dir, f));
    }
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// 1. push against local ingest

interface RatioResult {
  localSec: number[];
  pushSec: number[];
}

async function pushVersusLocal(bundle: string, reps: number): Promise<RatioResult> {
  const out: RatioResult = { localSec: [], pushSec: [] };
  for (let rep = 0; rep < reps; rep++) {
    const dir = benchTempDir('driftql-push-bench-');
    const local = await cli(['ingest', bundle, '--db', path.join(dir, 'local.duckdb')]);
    out.localSec.push(local.seconds);

    const dbFile = path.join(dir, 'served.duckdb');
    const key = await adminKey(dbFile);
    const server = await BenchServer.start(dbFile);
    try {
      const pushed = await cli(['push', bundle, '--server', server.url, '--token', key]);
      out.pushSec.push(pushed.seconds);
    } finally {
      await server.stop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
    log(`  rep ${rep + 1}: local ingest ${local.seconds.toFixed(1)} s, push ${out.pushSec.at(-1)!.toFixed(1)} s`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 2. push under load

type Kind = 'chart' | 'datasets' | 'runsPushed' | 'topics' | 'driftPushed';

/** Share of requests per kind (sums to 100). */
const MIX: { kind: Kind; weight: number; what: string }[] = [
  { kind: 'chart', weight: 60, what: '`trajectories`, one run of `bench-parquet` × one topic, all stances and points (a chart)' },
  { kind: 'datasets', weight: 10, what: '`datasets { name version observationCount runCount }`' },
  { kind: 'runsPushed', weight: 10, what: '`runs(filter: { dataset: "bench-pushed" }) { totalCount }`' },
  { kind: 'topics', weight: 10, what: '`topics { name promptCount runCount }`' },
  { kind: 'driftPushed', weight: 10, what: '`driftMetrics` of one run of `bench-pushed` (by key) × one topic' },
];

interface Body {
  kind: Kind;
  text: string;
}

function bodies(ids: string[], keys: string[], topics: string[]): Body[] {
  const T = 'runId topic stance points { stage stageKind step globalStep progress value ciLow ciHigh n }';
  const out: Body[] = [];
  const q = (kind: Kind, query: string, variables?: object) => out.push({ kind, text: JSON.stringify({ query, variables }) });
  const rnd = prng(7);
  for (let i = 0; i < 60; i++) {
    const [id, topic] = [ids[Math.floor(rnd() * ids.length)]!, topics[Math.floor(rnd() * topics.length)]!];
    q('chart', `query($id: ID!, $t: String!) { trajectories(runIds: [$id], topics: [$t]) { ${T} } }`, { id, t: topic });
  }
  q('datasets', '{ datasets { name version observationCount runCount } }');
  q('runsPushed', `{ runs(filter: { dataset: ["${PUSHED}"] }) { totalCount } }`);
  q('topics', '{ topics { name promptCount runCount } }');
  for (let i = 0; i < 20; i++) {
    const [key, topic] = [keys[Math.floor(rnd() * keys.length)]!, topics[Math.floor(rnd() * topics.length)]!];
    q(
      'driftPushed',
      `query($k: String!, $t: String!) { driftMetrics(runFilter: { dataset: ["${PUSHED}"], key: [$k] }, topics: [$t]) { runKey topic stance stage magnitude driftTime } }`,
      { k: key, t: topic },
    );
  }
  return out;
}

interface Sample {
  kind: Kind;
  body: number;
  start: number;
  ms: number;
  status: number;
  text: string;
}

async function ask(url: string, body: string): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(60_000),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: 0, text: String((err as Error).message) };
  }
}

/** What a client sends next: a body of the fixed set (by index), or a one-off text. */
type Draw = (rnd: () => number) => { kind: Kind; body: number; text: string };

/** `clients` loops, each sending what `draw` gives, until `until()` says stop. */
async function load(url: string, draw: Draw, clients: number, seed: number, until: () => boolean, keepText = true): Promise<Sample[]> {
  const samples: Sample[] = [];
  const client = async (c: number) => {
    const rnd = prng(seed * 1000 + c);
    while (!until()) {
      const { kind, body, text: request } = draw(rnd);
      const start = performance.now();
      const { status, text } = await ask(url, request);
      samples.push({
        kind,
        body,
        start,
        ms: performance.now() - start,
        status,
        text: keepText ? text : text.includes('"errors"') ? text : '',
      });
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  return samples;
}

/** Draws a body of the fixed set by the mix. */
function byMix(all: Body[]): Draw {
  const byKind = new Map<Kind, number[]>();
  all.forEach((b, i) => byKind.set(b.kind, [...(byKind.get(b.kind) ?? []), i]));
  return (rnd) => {
    let r = rnd() * 100;
    const kind = MIX.find((m) => (r -= m.weight) < 0)?.kind ?? 'chart';
    const list = byKind.get(kind)!;
    const body = list[Math.floor(rnd() * list.length)]!;
    return { kind, body, text: all[body]!.text };
  };
}

/** A one-run chart no earlier request asked for (its own confidence), so it is computed, not cached. */
function coldChart(ids: string[], topics: string[]): Draw {
  let n = 0;
  const T = 'runId topic stance points { stage stageKind step globalStep progress value ciLow ciHigh n }';
  return (rnd) => {
    const variables = { id: ids[Math.floor(rnd() * ids.length)]!, t: topics[Math.floor(rnd() * topics.length)]!, c: 0.8 + ++n * 1e-7 };
    const query = `query($id: ID!, $t: String!, $c: Float!) { trajectories(runIds: [$id], topics: [$t], confidence: $c) { ${T} } }`;
    return { kind: 'chart', body: -1, text: JSON.stringify({ query, variables }) };
  };
}

interface LoadedResult {
  clients: number;
  idleSec: number;
  loadSec: number;
  pushSec: number;
  requests: { idle: number; during: number; total: number };
  failed: number;
  notBeforeOrAfter: number;
  changedBodies: number;
  bodies: number;
  mixedSample: string[];
  chart: {
    clients: number;
    pushSec: number;
    idleP50: number;
    idleP99: number;
    duringP50: number;
    duringP99: number;
    duringN: number;
    idleN: number;
  };
  peakRssMiB: number;
}

async function underLoad(bundle: string, args: Args): Promise<LoadedResult> {
  const dir = benchTempDir('driftql-push-load-');
  const dbFile = path.join(dir, 'served.duckdb');
  log(`  ingesting ${path.relative(ROOT, bundle)} (dataset bench-parquet) into ${dbFile}`);
  await cli(['ingest', bundle, '--db', dbFile]);
  const key = await adminKey(dbFile);
  const copy = renamedCopy(bundle, path.join(path.dirname(bundle), '..', 'pushed'), PUSHED);
  const server = await BenchServer.start(dbFile);
  try {
    const first = JSON.parse(
      (await ask(server.url, JSON.stringify({ query: '{ runs(first: 200) { nodes { id key } } topics { name } }' }))).text,
    ) as {
      data: { runs: { nodes: { id: string; key: string }[] }; topics: { name: string }[] };
    };
    const all = bodies(
      first.data.runs.nodes.map((r) => r.id),
      first.data.runs.nodes.map((r) => r.key),
      first.data.topics.map((t) => t.name),
    );
    // The answer to every body before the ingest, one request each.
    const before: string[] = [];
    for (const b of all) before.push((await ask(server.url, b.text)).text);

    log(`  idle: ${args.clients} clients for ${args.idle} s`);
    let end = performance.now() + args.idle * 1000;
    const idle = await load(server.url, byMix(all), args.clients, 1, () => performance.now() > end);

    log(`  pushing ${PUSHED} while ${args.clients} clients query for at least ${args.duration} s`);
    let pushDone = false;
    const pushing = cli(['push', copy, '--server', server.url, '--token', key]).finally(() => (pushDone = true));
    end = performance.now() + args.duration * 1000;
    const loadStart = performance.now();
    const during = await load(server.url, byMix(all), args.clients, 2, () => performance.now() > end && pushDone);
    const loadSec = (performance.now() - loadStart) / 1000;
    const { seconds: pushSec } = await pushing;

    const after: string[] = [];
    for (const b of all) after.push((await ask(server.url, b.text)).text);

    const failed = [...idle, ...during].filter((s) => s.status !== 200 || s.text.includes('"errors"')).length;
    const mixed = during.filter((s) => s.text !== before[s.body] && s.text !== after[s.body]);

    // Latency: a few clients asking for charts nobody asked for before (so each is computed),
    // idle and then while another copy of the bundle is pushed.
    const ids = first.data.runs.nodes.map((r) => r.id);
    const topics = first.data.topics.map((t) => t.name);
    const copy2 = renamedCopy(bundle, path.join(path.dirname(bundle), '..', 'pushed-2'), `${PUSHED}-2`);
    log(`  latency: ${args.latencyClients} clients, cold one-run charts, ${args.idle} s idle`);
    end = performance.now() + args.idle * 1000;
    const idleChart = await load(server.url, coldChart(ids, topics), args.latencyClients, 3, () => performance.now() > end, false);
    log(`  latency: the same while ${PUSHED}-2 is pushed`);
    let push2Done = false;
    const push2Start = performance.now();
    const pushing2 = cli(['push', copy2, '--server', server.url, '--token', key]).finally(() => (push2Done = true));
    const duringChart = await load(server.url, coldChart(ids, topics), args.latencyClients, 4, () => push2Done, false);
    const push2End = push2Start + (await pushing2).seconds * 1000;
    fs.rmSync(copy2, { recursive: true, force: true });
    const inIngest = duringChart.filter((s) => s.start >= push2Start && s.start + s.ms <= push2End).map((s) => s.ms);
    const idleMs = idleChart.map((s) => s.ms);
    const latencyFailed = [...idleChart, ...duringChart].filter((s) => s.status !== 200 || s.text !== '').length;
    return {
      clients: args.clients,
      idleSec: args.idle,
      loadSec: round(loadSec),
      pushSec: round(pushSec, 2),
      requests: { idle: idle.length, during: during.length, total: idle.length + during.length },
      failed: failed + latencyFailed,
      notBeforeOrAfter: mixed.length,
      changedBodies: all.filter((_, i) => before[i] !== after[i]).length,
      bodies: all.length,
      mixedSample: mixed.slice(0, 3).map((s) => `${s.kind}: ${s.text.slice(0, 200)}`),
      chart: {
        clients: args.latencyClients,
        pushSec: round((push2End - push2Start) / 1000, 2),
        idleP50: round(median(idleMs)),
        idleP99: round(quantile(idleMs, 0.99)),
        duringP50: round(median(inIngest)),
        duringP99: round(quantile(inIngest, 0.99)),
        duringN: inIngest.length,
        idleN: idleMs.length,
      },
      peakRssMiB: round(server.peakRssMib()),
    };
  } finally {
    await server.stop();
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

interface Results {
  version: number;
  scale: Scale;
  args: Args;
  bundle: string;
  machineAtStart: ReturnType<typeof machine>;
  machineAtEnd: ReturnType<typeof machine>;
  ratio: RatioResult;
  loaded: LoadedResult;
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const yes = (ok: boolean) => (ok ? 'yes' : '**no**');

function render(r: Results): string {
  const local = median(r.ratio.localSec);
  const pushed = median(r.ratio.pushSec);
  const L = r.loaded;
  const p99Ratio = L.chart.duringP99 / L.chart.idleP99;
  const m = r.machineAtStart;
  return [
    '# Data in while serving: push against local ingest, and a push under load',
    '',
    `Generated by \`npm run bench:push\` (bench/push.ts) on ${m.date.slice(0, 16).replace('T', ' ')} UTC; raw numbers in \`bench/push-results.json\`. Everything runs on one machine over 127.0.0.1: the clients share the CPU with the server.`,
    '',
    '## Machine',
    '',
    `- ${m.cpus} × ${m.cpuModel.split(' ').slice(0, 2).join(' ')}, ${m.memGiB} GiB, ${m.platform}, Node ${m.node}.`,
    `- Load average (1, 5, 15 min) at start ${m.loadAverage.join(', ')}, at end ${r.machineAtEnd.loadAverage.join(', ')}.${m.otherBenchProcesses.length ? ' Another benchmark was running.' : ' No other benchmark was running.'}`,
    `- Bundle: \`${r.bundle}\` (scale ${r.scale}, ${SCALES[r.scale]} runs, Parquet).`,
    '- Servers: `node dist/src/server.js` with `NODE_ENV=production`, `DRIFT_RATE_LIMIT=0`, `UV_THREADPOOL_SIZE=8`, everything else at its default.',
    '',
    '## Targets',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    `| push end to end within ${PUSH_RATIO_TARGET}× the local CLI ingest of the same bundle (medians of ${r.ratio.pushSec.length}) | push ${f1(pushed)} s, local ${f1(local)} s: ${(pushed / local).toFixed(2)}× | ${yes(pushed / local <= PUSH_RATIO_TARGET)} |`,
    `| one-run \`trajectories\` p99 during the ingest within ${P99_RATIO_TARGET}× its idle p99 (${L.chart.clients} clients, uncached) | ${f1(L.chart.duringP99)} ms during (n = ${L.chart.duringN}), ${f1(L.chart.idleP99)} ms idle (n = ${L.chart.idleN}): ${p99Ratio.toFixed(2)}× | ${yes(p99Ratio <= P99_RATIO_TARGET)} |`,
    `| no failed request while ${L.clients} clients query during the push | ${L.failed} failed of ${L.requests.total.toLocaleString('en-US')} | ${yes(L.failed === 0)} |`,
    `| every answer during the push equals the answer before it or after it | ${L.notBeforeOrAfter} other answers of ${L.requests.during.toLocaleString('en-US')}; ${L.changedBodies} of the distinct queries changed their answer at the commit | ${yes(L.notBeforeOrAfter === 0)} |`,
    '',
    '## 1. Push against local ingest',
    '',
    'Each repetition ingests the bundle with `driftql ingest <bundle> --db <fresh file>`, then starts a server on another fresh database (with an admin key made by `driftql keys create`) and runs `driftql push <bundle> --server <url> --token <key>`: packing, upload, the ingest job and the printed result. Both are wall times of the CLI process, as a user sees them.',
    '',
    '| repetition | local ingest | push | push / local |',
    '|---|---|---|---|',
    ...r.ratio.localSec.map(
      (l, i) => `| ${i + 1} | ${f1(l)} s | ${f1(r.ratio.pushSec[i]!)} s | ${(r.ratio.pushSec[i]! / l).toFixed(2)}× |`,
    ),
    `| median | ${f1(local)} s | ${f1(pushed)} s | ${(pushed / local).toFixed(2)}× |`,
    '',
    '## 2. A push under load',
    '',
    `A server holding the bundle as \`bench-parquet\` answers ${L.clients} concurrent clients (each sends its next request when the last is answered), first for ${L.idleSec} s idle, then for ${L.loadSec} s while the same bundle is pushed as \`${PUSHED}\` (the push took ${f1(L.pushSec)} s). Share of requests:`,
    '',
    ...MIX.map((x) => `- ${x.weight}% ${x.what}`),
    '',
    `Under this load the push took ${(L.pushSec / median(r.ratio.pushSec)).toFixed(1)}× as long as on an idle server (${f1(L.pushSec)} s against ${f1(median(r.ratio.pushSec))} s): the ${L.clients} clients, the server and the ingest share the machine's ${m.cpus} cores, and queries are not held back for the ingest.`,
    '',
    `Before the load and after the push, every distinct query (${MIX.length} kinds, ${L.bodies} bodies) was answered once; each answer during the push was compared with those two texts. Requests: ${L.requests.idle.toLocaleString('en-US')} idle, ${L.requests.during.toLocaleString('en-US')} during. Server peak RSS: ${f1(L.peakRssMiB)} MiB.`,
    '',
    '## 3. Chart latency while a push is ingested',
    '',
    `${L.chart.clients} clients send one-run \`trajectories\` queries (a random run of \`bench-parquet\` × a random topic, all stances and points), each with a confidence no other request used, so every answer is computed, not taken from the result cache: first for ${L.idleSec} s idle, then while a third copy of the bundle is pushed (${f1(L.chart.pushSec)} s). Only requests that started and ended within the push count as during.`,
    '',
    '| one-run `trajectories` | p50 | p99 | requests |',
    '|---|---|---|---|',
    `| idle | ${f1(L.chart.idleP50)} ms | ${f1(L.chart.idleP99)} ms | ${L.chart.idleN} |`,
    `| during the push | ${f1(L.chart.duringP50)} ms | ${f1(L.chart.duringP99)} ms | ${L.chart.duringN} |`,
    '',
    ...(L.mixedSample.length ? ['Answers that were neither (first ones):', '', ...L.mixedSample.map((s) => `    ${s}`), ''] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  if (report.rerender<Results>('push', VERSION, render)) return;
  const args = parseArgs(process.argv.slice(2));
  const machineAtStart = machine();
  log(`push benchmark, scale ${args.scale}; load average ${machineAtStart.loadAverage.join(', ')}`);
  const shared = path.join(ROOT, 'bench', 'out', args.scale, 'bundles', 'parquet');
  const bundle = fs.existsSync(path.join(shared, 'manifest.json'))
    ? shared
    : (await generateBundles(path.join(ROOT, 'bench', 'out', 'push', args.scale, 'bundles'), SCALES[args.scale], log)).parquet;

  log('1. push against local ingest');
  const ratio = await pushVersusLocal(bundle, args.reps);
  log('2. push under load');
  const loaded = await underLoad(bundle, args);
  const results: Results = {
    version: VERSION,
    scale: args.scale,
    args,
    bundle: path.relative(ROOT, bundle),
    machineAtStart,
    machineAtEnd: machine(),
    ratio: { localSec: ratio.localSec.map((x) => round(x, 2)), pushSec: ratio.pushSec.map((x) => round(x, 2)) },
    loaded,
  };
  await report.write('push', results, render);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
