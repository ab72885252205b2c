/**
 * `npm run bench:cluster [-- --scale M] [--connections 50] [--duration 20] [--rounds 3] [--warmup 5] [--reps 10]
 *   [--seed 1] [--threads N] [--memory-limit 2GB]`   (`-- --render` only rewrites the report from its JSON)
 *
 * Cluster mode against embedded mode, on the same data, on this one machine:
 * 1. Setup. A throwaway PostgreSQL 15 (Unix socket in its own folder, no TCP port), a lake folder and
 *    two replicas in cluster mode (`node dist/src/server.js` with DRIFT_CATALOG_URL and DRIFT_LAKE)
 *    start on an empty catalogue; `driftql migrate-to-cluster` then copies the scale's bench database
 *    (bench/out/<scale>/driftql-parquet.duckdb, the one `npm run bench` ingested, opened read only) into
 *    it while they run, and each replica's GET /healthz must show the new data version. An embedded
 *    server runs on a copy of the same file. Two nginx instances balance the replicas as
 *    scripts/local-cluster.sh does: one with replica 1 only, one with replicas 1 and 2.
 * 2. Latency. Each analytic query bench/run.ts measures, result cache off everywhere, against the
 *    embedded server and against replica 1 directly (no nginx), beside run.ts's two raw DuckDB
 *    baselines (hand-written SQL over run.ts's raw observation table and over its materialised
 *    per-checkpoint table, in this process) when run.ts left its raw database in bench/out/<scale>:
 *    2 untimed calls each, then the contenders take turns call by call, as run.ts does. Then the one
 *    SQL statement behind every analytic query alone, in this process, on the native table, on the
 *    replica's Parquet view, and on two variants (smaller row groups; an in-memory table).
 * 3. Throughput. run.ts's varied one-run chart load (cache off, the same seeded sequence of run and
 *    topic every time) with autocannon at run.ts's 50 connections for 20 s against: the embedded
 *    server directly, nginx → 1 replica, nginx → 2 replicas; `rounds` rounds, the target order
 *    rotating from round to round, after a warm-up of each. CPU time of every process involved (and
 *    of the whole machine) comes from /proc, so that the report can say what bounds the throughput.
 *
 * Writes bench/CLUSTER.md and bench/cluster-results.json (other scales: CLUSTER-<scale>.md and
 * cluster-<scale>-results.json). Everything started here (servers, nginx, PostgreSQL, temporary
 * folders) is stopped and removed at the end, on error, on SIGINT/SIGTERM and after a watchdog.
 */
import autocannon from 'autocannon';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DriftDb } from '../src/db/client';
import { migrate } from '../src/db/migrate';
import { sqlString } from '../src/db/sql';
import { ingestBundle } from '../src/ingest/ingest';
import { ROOT } from '../src/paths';
import {
  BenchServer,
  SERVER_ENV,
  benchTempDir,
  cleanupOnExit,
  compare,
  freePort,
  log,
  machine,
  median,
  options,
  report,
  round,
  sleep,
  track,
  type Stat,
} from './common';
import { SCALES, generateBundles, prng, type Scale } from './generate';
import { FROM_CP, FROM_RAW, Q, SQL, allRuns, gqlCall, variedCharts, type Source } from './queries';

const VERSION = 1;
/** The whole run is stopped after this long, whatever it is doing. */
const WATCHDOG_MS = 25 * 60_000;
/** bench/run.ts's cost limit (its BENCH_MAX_COST; run.ts cannot be imported without running it). */
const BENCH_MAX_COST = 1_000_000_000;
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const IS_ROOT = process.getuid?.() === 0;
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

// ---------------------------------------------------------------------------------------------
// What common.ts does not stop: nginx and PostgreSQL. This exit handler is registered before
// cleanupOnExit's, so it runs first: nginx gets SIGTERM (its master then stops its workers; a
// SIGKILL would leave them) and PostgreSQL is stopped before its folder is removed.

const nginxes = new Set<Nginx>();
const postgreses = new Set<Postgres>();
process.on('exit', () => {
  for (const n of nginxes) n.signal('SIGTERM');
  for (const p of postgreses) p.stop();
});
cleanupOnExit(WATCHDOG_MS);

interface Args {
  scale: Scale;
  connections: number;
  duration: number;
  rounds: number;
  warmup: number;
  reps: number;
  seed: number;
  threads: number | null;
  memoryLimit: string | null;
}

function parseArgs(argv: string[]): Args {
  const { get, num, scale } = options(argv);
  const threads = get('threads', '');
  return {
    scale: scale(),
    connections: num('connections', 50, 1, 2000),
    duration: num('duration', 20, 1, 300),
    rounds: num('rounds', 3, 1, 20),
    warmup: num('warmup', 5, 0, 60),
    reps: num('reps', 10, 1, 100),
    seed: num('seed', 1, 0, 2 ** 31),
    threads: threads ? num('threads', 2, 1, 64) : null,
    memoryLimit: get('memory-limit', '') || null,
  };
}

/** The report's name: `cluster` at scale M, `cluster-<scale>` otherwise. */
function reportName(argv: string[]): string {
  const scale = options(argv).scale();
  return scale === 'M' ? 'cluster' : `cluster-${scale.toLowerCase()}`;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: as test/helpers/postgres.ts runs it (bench code cannot import from test/): initdb
// into a temporary folder, as the `postgres` user when this process is root (initdb refuses
// root), listening only on a Unix socket in that folder, trust authentication.

function pgExec(bin: string, args: string[]): void {
  const cmd = path.join(PG_BIN, bin);
  execFileSync(IS_ROOT ? 'runuser' : cmd, IS_ROOT ? ['-u', 'postgres', '--', cmd, ...args] : args, { stdio: 'pipe', timeout: 120_000 });
}

class Postgres {
  private stopped = false;
  private constructor(readonly dir: string) {}

  get data(): string {
    return path.join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://driftql@localhost/postgres?host=${encodeURIComponent(this.dir)}`;
  }

  static start(): Postgres {
    if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) {
      throw new Error(`PostgreSQL 15 is not installed at ${PG_BIN} (on Debian: apt-get install postgresql; or set PG_BIN)`);
    }
    const dir = benchTempDir('driftql-cluster-pg-');
    if (IS_ROOT) execFileSync('chown', ['postgres', dir]);
    const pg = new Postgres(dir);
    pgExec('initdb', ['-D', pg.data, '-U', 'driftql', '--auth=trust', '--no-sync']);
    postgreses.add(pg); // from here on, the exit handler stops it
    pgExec('pg_ctl', ['-D', pg.data, '-o', `-k ${dir} -c listen_addresses='' -c fsync=off`, '-l', path.join(dir, 'pg.log'), '-w', 'start']);
    return pg;
  }

  /** The postmaster's pid (the first line of postmaster.pid). */
  pid(): number {
    try {
      return Number(fs.readFileSync(path.join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return NaN;
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    postgreses.delete(this);
    try {
      pgExec('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', 'stop']);
    } catch (err) {
      log(`PostgreSQL did not stop cleanly: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// nginx: the settings of scripts/local-cluster.sh (deploy/nginx.conf) that matter for GraphQL
// requests: least_conn upstream with keepalive 32, HTTP/1.1 to the replicas with an empty
// Connection header, worker_processes auto; no access log.

function nginxBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    const f = path.join(d, 'nginx');
    if (d && fs.existsSync(f)) return f;
  }
  throw new Error('nginx is not installed (apt-get install nginx)');
}

class Nginx {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dir: string,
    readonly upstreams: number[],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static config(dir: string, port: number, upstreams: number[]): string {
    const t = (name: string) => path.join(dir, 'temp', name);
    return [
      '# Written by bench/cluster.ts: the settings of scripts/local-cluster.sh that matter here.',
      IS_ROOT ? 'user root;' : '',
      'worker_processes auto;',
      `error_log ${path.join(dir, 'error.log')} warn;`,
      `pid ${path.join(dir, 'nginx.pid')};`,
      'events {',
      '    worker_connections 1024;',
      '}',
      'http {',
      '    default_type application/octet-stream;',
      '    access_log off;',
      `    client_body_temp_path ${t('client_body')};`,
      `    proxy_temp_path ${t('proxy')};`,
      `    fastcgi_temp_path ${t('fastcgi')};`,
      `    uwsgi_temp_path ${t('uwsgi')};`,
      `    scgi_temp_path ${t('scgi')};`,
      '    sendfile on;',
      '    tcp_nodelay on;',
      '    server_tokens off;',
      '    keepalive_timeout 65s;',
      '    upstream driftql {',
      '        least_conn;',
      ...upstreams.map((p) => `        server 127.0.0.1:${p} max_fails=2 fail_timeout=10s;`),
      '        keepalive 32;',
      '        keepalive_timeout 4s;',
      '    }',
      '    server {',
      `        listen 127.0.0.1:${port};`,
      '        server_name _;',
      '        client_max_body_size 8m;',
      '        client_body_buffer_size 1m;',
      '        proxy_http_version 1.1;',
      '        proxy_set_header Connection "";',
      '        proxy_set_header Host $http_host;',
      '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '        proxy_next_upstream error timeout http_502 http_503;',
      '        proxy_connect_timeout 5s;',
      '        proxy_read_timeout 120s;',
      '        location / {',
      '            proxy_pass http://driftql;',
      '        }',
      '    }',
      '}',
      '',
    ].join('\n');
  }

  static async start(upstreams: number[]): Promise<Nginx> {
    const bin = nginxBinary();
    const dir = benchTempDir('driftql-cluster-nginx-');
    fs.mkdirSync(path.join(dir, 'temp'));
    const port = await freePort();
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, Nginx.config(dir, port, upstreams));
    const base = ['-c', conf, '-p', dir, '-e', path.join(dir, 'error.log')];
    const test = spawnSync(bin, ['-t', '-q', ...base], { encoding: 'utf8' });
    if (test.status !== 0) throw new Error(`nginx refused ${conf}: ${test.stderr}`);
    const child = spawn(bin, [...base, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c.slice(0, 2000)));
    const n = new Nginx(child, port, dir, upstreams);
    nginxes.add(n);
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) break;
      try {
        if ((await fetch(`${n.url}/healthz`)).ok) return n;
      } catch {
        /* not up yet */
      }
      await sleep(100);
    }
    await n.stop();
    const errors = fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8').slice(-2000) : '';
    throw new Error(`nginx did not answer /healthz: ${stderr} ${errors}`);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The master and its workers. */
  pids(): number[] {
    return this.alive ? [this.child.pid!, ...childrenOf(this.child.pid!)] : [];
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }

  async stop(): Promise<void> {
    nginxes.delete(this);
    if (!this.alive) return;
    const workers = childrenOf(this.child.pid!);
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.child.kill('SIGKILL');
      for (const w of workers) {
        try {
          process.kill(w, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// CPU time from /proc: per process (all its threads), its main thread (for node: the event loop),
// and the whole machine.

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of a /proc stat file after the command name: [0] is field 3 (state). */
function statFields(file: string): string[] | null {
  try {
    const s = fs.readFileSync(file, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime + stime (+ cutime + cstime: children waited for) in clock ticks; 0 for a gone process. */
function ticks(file: string, withChildren = false): number {
  const f = statFields(file);
  if (!f) return 0;
  return Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const f = statFields(`/proc/${p}/stat`);
    if (f && Number(f[1]) === pid) out.push(Number(p));
  }
  return out;
}

/** Busy and total ticks of all CPUs, from the first line of /proc/stat. */
function machineTicks(): { busy: number; all: number } {
  const [, ...v] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = v.map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const busy = n[0]! + n[1]! + n[2]! + n[5]! + n[6]! + n[7]!;
  return { busy, all: busy + n[3]! + n[4]! };
}

interface ProcGroup {
  name: string;
  /** pids now */
  pids: () => number[];
  /** count children waited for (PostgreSQL backends that ended) */
  withChildren?: boolean;
  /** a node process: its main thread is measured too */
  node?: boolean;
}

interface CpuSnapshot {
  at: number;
  groups: Record<string, { ticks: number; main: number }>;
  machine: { busy: number; all: number };
}

function cpuSnapshot(groups: ProcGroup[]): CpuSnapshot {
  const out: CpuSnapshot['groups'] = {};
  for (const g of groups) {
    let t = 0;
    let main = 0;
    for (const pid of g.pids()) {
      t += ticks(`/proc/${pid}/stat`, g.withChildren);
      if (g.node) main += ticks(`/proc/${pid}/task/${pid}/stat`);
    }
    out[g.name] = { ticks: t, main };
  }
  return { at: performance.now(), groups: out, machine: machineTicks() };
}

interface CpuUse {
  seconds: number;
  /** cores used on average over the window (1 = one core fully busy), per process group */
  cores: Record<string, number>;
  /** the same, of the main thread of node processes */
  mainThreadCores: Record<string, number>;
  /** all processes of the machine, as cores, and as a share of all cores (0..1) */
  machineCores: number;
  machineBusyShare: number;
  /** machine minus the groups: work on the machine that this bench did not start */
  otherCores: number;
}

function cpuUse(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  const cores: Record<string, number> = {};
  const mainThreadCores: Record<string, number> = {};
  let ours = 0;
  for (const name of Object.keys(a.groups)) {
    const c = (b.groups[name]!.ticks - a.groups[name]!.ticks) / CLK_TCK / seconds;
    cores[name] = round(c, 3);
    ours += c;
    const m = b.groups[name]!.main - a.groups[name]!.main;
    if (m > 0) mainThreadCores[name] = round(m / CLK_TCK / seconds, 3);
  }
  const allTicks = b.machine.all - a.machine.all;
  const busyTicks = b.machine.busy - a.machine.busy;
  // /proc/stat counts all CPUs together: ticks over the window ÷ ticks per second per CPU.
  const machineCores = busyTicks / CLK_TCK / seconds;
  return {
    seconds: round(seconds, 2),
    cores,
    mainThreadCores,
    machineCores: round(machineCores, 3),
    machineBusyShare: round(allTicks > 0 ? busyTicks / allTicks : NaN, 3),
    otherCores: round(machineCores - ours, 3),
  };
}

// ---------------------------------------------------------------------------------------------
// GraphQL, the queries and the raw DuckDB baselines: those of bench/run.ts (bench/queries.ts).

/** Whether two answers agree: the same shape and strings, numbers within a relative 1e-9. */
function sameAnswer(a: unknown, b: unknown, at = ''): string | null {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) ? null : `${at}: ${a} vs ${b}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at}: ${a.length} vs ${b.length} items`;
    for (let i = 0; i < a.length; i++) {
      const d = sameAnswer(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${at}: fields ${ka.join(',')} vs ${kb.join(',')}`;
    for (const k of ka) {
      const d = sameAnswer((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

// ---------------------------------------------------------------------------------------------
// Storage alone: the one SQL statement every analytic query runs (src/services/checkpoints.ts's
// loadCheckpoints), in this process, on the source file's native tables against the layout of a
// replica (an in-memory DuckDB, the catalogue tables copied in, checkpoint_values copied in from
// the lake files), beside the layouts a replica could have used instead.

const LOAD_CHECKPOINTS = (topics: boolean) =>
  `SELECT c.run_id, s.name AS stage, c.step, t.name AS topic, c.prompts AS n,
          c.v_support, c.v_neutral, c.v_oppose, c.sd_support, c.sd_neutral, c.sd_oppose
   FROM checkpoint_values c JOIN stages s ON s.id = c.stage_id JOIN topics t ON t.id = c.topic_id
   WHERE c.run_id = ANY($1) ${topics ? 'AND t.name = ANY($2)' : ''}
   ORDER BY c.run_id, t.name, s.ordinal, c.step`;

/** The layouts the statement is timed on. */
const LAYOUTS = {
  native: 'native table in the database file (embedded mode)',
  parquet: 'view over the lake file (what replicas did at first)',
  smallGroups: 'view over the same rows re-written with 2,048-row row groups',
  memory: 'in-memory table of the same rows (what replicas do)',
} as const;
type Layout = keyof typeof LAYOUTS;

interface StorageCase {
  name: string;
  calls: number;
  rows: number;
  stats: Record<Layout, Stat>;
}

interface StorageResult {
  checkpointRows: number;
  checkpointRowGroups: number;
  checkpointFileKiB: number;
  cases: StorageCase[];
}

async function storageAlone(sourceFile: string, lake: string, ids: number[], topics: string[], reps: number): Promise<StorageResult> {
  const files = fs
    .readdirSync(path.join(lake, 'checkpoint_values'))
    .filter((f) => f.endsWith('.parquet'))
    .map((f) => path.join(lake, 'checkpoint_values', f));
  const list = files.map(sqlString).join(', ');
  const small = path.join(benchTempDir('driftql-cluster-rowgroups-'), 'checkpoint_values.parquet');
  const dbs: Partial<Record<Layout, DriftDb>> = {};
  try {
    // A replica's layout (src/db/cluster.ts), and two variants of it.
    for (const layout of ['parquet', 'smallGroups', 'memory'] as const) {
      const db = await DriftDb.open(':memory:', { readConnections: 1 });
      dbs[layout] = db;
      await db.withWriter(async (c) => {
        await c.run(`ATTACH ${sqlString(sourceFile)} AS src (READ_ONLY)`);
        await c.run('CREATE TABLE stages AS SELECT * FROM src.stages');
        await c.run('CREATE TABLE topics AS SELECT * FROM src.topics');
        await c.run('DETACH src');
        await c.run('SET parquet_metadata_cache = true');
        if (layout === 'parquet') await c.run(`CREATE VIEW checkpoint_values AS SELECT * FROM read_parquet([${list}])`);
        if (layout === 'smallGroups') {
          await c.run(
            `COPY (SELECT * FROM read_parquet([${list}])) TO ${sqlString(small)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)`,
          );
          await c.run(`CREATE VIEW checkpoint_values AS SELECT * FROM read_parquet(${sqlString(small)})`);
        }
        if (layout === 'memory') await c.run(`CREATE TABLE checkpoint_values AS SELECT * FROM read_parquet([${list}])`);
      });
    }
    dbs.native = await DriftDb.open(sourceFile, { readConnections: 1, readOnly: true });
    const groups = (await dbs.parquet!.query(`SELECT count(DISTINCT (file_name, row_group_id)) AS g FROM parquet_metadata([${list}])`))[0]!
      .g;
    const rowCount = (await dbs.parquet!.query('SELECT count(*) AS n FROM checkpoint_values'))[0]!.n;
    type Params = readonly (readonly (string | number)[])[];
    const cases: [string, number, () => () => Params][] = [
      [
        'one run, one topic (the chart query)',
        reps * 5,
        () => {
          const rng = prng(7); // the same sequence of runs and topics for every layout
          return () => [[ids[Math.floor(rng() * ids.length)]!], [topics[Math.floor(rng() * topics.length)]!]];
        },
      ],
      [`${Math.min(20, ids.length)} runs, all topics`, reps * 2, () => () => [ids.slice(0, 20)]],
      ['all runs, all topics', reps * 2, () => () => [ids]],
    ];
    const out: StorageCase[] = [];
    for (const [name, calls, paramsFor] of cases) {
      let rows = 0;
      const run = (db: DriftDb) => {
        const params = paramsFor();
        return async () => {
          const p = params();
          rows = (await db.query(LOAD_CHECKPOINTS(p.length > 1), p as never)).length;
        };
      };
      const t = await compare(calls, Object.fromEntries(Object.entries(dbs).map(([k, db]) => [k, run(db)])));
      out.push({ name, calls, rows, stats: t as Record<Layout, Stat> });
      log(
        `  storage alone, ${name}: ${Object.keys(LAYOUTS)
          .map((k) => `${k} ${t[k]!.p50.toFixed(2)} ms`)
          .join(', ')}`,
      );
    }
    return {
      checkpointRows: Number(rowCount),
      checkpointRowGroups: Number(groups),
      checkpointFileKiB: round(files.reduce((s, f) => s + fs.statSync(f).size, 0) / 1024),
      cases: out,
    };
  } finally {
    for (const db of Object.values(dbs)) await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Load

interface LoadResult {
  target: string;
  round: number;
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 200 responses whose body carries GraphQL errors */
  graphqlErrors: number;
  cpu: CpuUse;
}

/** run.ts's runLoad (autocannon at `connections` for `seconds`, `body` called for every request), with CPU use. */
async function runLoad(
  target: string,
  round: number,
  url: string,
  connections: number,
  seconds: number,
  body: () => string,
  groups: ProcGroup[],
): Promise<LoadResult> {
  let graphqlErrors = 0;
  const before = cpuSnapshot(groups);
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
  const cpu = cpuUse(before, cpuSnapshot(groups));
  return {
    target,
    round,
    connections,
    seconds,
    requests: result.requests.total,
    requestsPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    cpu,
  };
}

// ---------------------------------------------------------------------------------------------
// Results

const TARGETS = [
  { name: 'embedded', what: 'embedded server, directly' },
  { name: 'nginx-1', what: 'nginx → 1 replica' },
  { name: 'nginx-2', what: 'nginx → 2 replicas' },
] as const;
type TargetName = (typeof TARGETS)[number]['name'];

const GROUPS = ['embedded', 'replica-1', 'replica-2', 'nginx', 'postgres', 'client'] as const;

interface QueryResult {
  name: string;
  embedded: Stat;
  cluster: Stat;
  raw: Stat | null;
  mat: Stat | null;
  /** cluster p50 ÷ embedded p50 */
  ratio: number;
  /** median over the repetitions of (cluster call ÷ embedded call of the same round) */
  pairedRatio: number;
  /** whether the two answered the same (checked once before timing): null, or the first difference */
  answerDiff: string | null;
}

interface Results {
  version: number;
  scale: Scale;
  runs: number;
  observations: number;
  args: Args;
  machineAtStart: ReturnType<typeof machine>;
  machineAtEnd: ReturnType<typeof machine>;
  database: string;
  rawDatabase: string | null;
  serverEnv: Record<string, string>;
  nginxConfig: string;
  migration: {
    seconds: number;
    lakeFiles: number;
    lakeMiB: Record<string, number>;
    sourceMiB: number;
    /** per replica: data version before and after, and ms from the CLI's exit until /healthz showed the new one */
    pickup: { replica: number; before: number; after: number; msAfterCli: number }[];
    output: string;
  };
  checks: { sameRuns: boolean; sameTopics: boolean; chartSame: string | null };
  latency: QueryResult[];
  storage: StorageResult;
  warmup: LoadResult[];
  load: LoadResult[];
  peakRssMiB: Record<string, number>;
  serverLogLines: Record<string, number>;
  serverLogSample: string[];
}

const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a');
/** A latency ratio with its meaning in words. */
const slower = (r: number, what = 'cluster') =>
  !Number.isFinite(r)
    ? 'n/a'
    : `${f2(r)}× (${r > 1.005 ? `${what} ${f2(r)}× slower` : r < 0.995 ? `${what} ${f2(1 / r)}× faster` : 'equal'})`;

interface TargetSummary {
  name: TargetName;
  what: string;
  rounds: LoadResult[];
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  requests: number;
  /** medians over the rounds, cores */
  cores: Record<string, number>;
  mainThread: Record<string, number>;
  machineCores: number;
  otherCores: number;
  /** CPU ms per answered request: server side (servers, nginx, PostgreSQL) and the client */
  serverCpuMsPerRequest: number;
  clientCpuMsPerRequest: number;
}

function summariseTargets(r: Results): TargetSummary[] {
  return TARGETS.map((t) => {
    const rounds = r.load.filter((l) => l.target === t.name);
    const m = (f: (l: LoadResult) => number) => median(rounds.map(f));
    const cores = Object.fromEntries(GROUPS.map((g) => [g, m((l) => l.cpu.cores[g] ?? 0)]));
    const mainThread = Object.fromEntries(
      ['embedded', 'replica-1', 'replica-2', 'client'].map((g) => [g, m((l) => l.cpu.mainThreadCores[g] ?? 0)]),
    );
    const perRequest = (groups: readonly string[]) =>
      m((l) => (groups.reduce((s, g) => s + (l.cpu.cores[g] ?? 0), 0) * l.cpu.seconds * 1000) / Math.max(1, l.requests));
    return {
      name: t.name,
      what: t.what,
      rounds,
      rps: m((l) => l.requestsPerSec),
      p50: m((l) => l.p50),
      p99: m((l) => l.p99),
      failures: rounds.reduce((s, l) => s + l.errors + l.non2xx + l.graphqlErrors, 0),
      requests: rounds.reduce((s, l) => s + l.requests, 0),
      cores,
      mainThread,
      machineCores: m((l) => l.cpu.machineCores),
      otherCores: m((l) => l.cpu.otherCores),
      serverCpuMsPerRequest: perRequest(['embedded', 'replica-1', 'replica-2', 'nginx', 'postgres']),
      clientCpuMsPerRequest: perRequest(['client']),
    };
  });
}

/** What bounds a target's throughput, in words, from its CPU figures. */
function boundFor(s: TargetSummary, cpus: number): string {
  const servers = s.name === 'embedded' ? ['embedded'] : s.name === 'nginx-1' ? ['replica-1'] : ['replica-1', 'replica-2'];
  const serverCores = servers.reduce((x, g) => x + s.cores[g]!, 0);
  const busiestMain = Math.max(...servers.map((g) => s.mainThread[g]!));
  const parts: string[] = [];
  const saturated = s.machineCores >= 0.9 * cpus;
  parts.push(
    `${saturated ? '**CPU-bound**: ' : ''}the machine's ${cpus} cores were ${pct(s.machineCores / cpus)} busy (${f2(s.machineCores)} cores): ` +
      `${servers.length === 1 ? 'server' : 'replicas'} ${f2(serverCores)}` +
      (s.name === 'embedded' ? '' : `, nginx ${f2(s.cores.nginx!)}`) +
      `, autocannon ${f2(s.cores.client!)}, PostgreSQL ${f2(s.cores.postgres!)}, other work on the machine ${f2(Math.max(0, s.otherCores))}`,
  );
  if (busiestMain >= 0.85)
    parts.push(
      `the busiest server main thread (JavaScript: GraphQL, analytics, JSON) ran ${f2(busiestMain)} of a core, so that one thread is a bound as well`,
    );
  else parts.push(`no server main thread was at a full core (busiest ${f2(busiestMain)})`);
  const perRequest = s.serverCpuMsPerRequest + s.clientCpuMsPerRequest;
  parts.push(
    `at ${f1(perRequest)} ms of CPU per request (server side ${f1(s.serverCpuMsPerRequest)}, client ${f1(s.clientCpuMsPerRequest)}), ${cpus} idle cores would allow at most about ${f0((cpus * 1000) / perRequest)} req/s`,
  );
  return parts.join('; ');
}

function render(r: Results): string {
  const m = r.machineAtStart;
  const S = summariseTargets(r);
  const by = (n: TargetName) => S.find((s) => s.name === n)!;
  const emb = by('embedded');
  const one = by('nginx-1');
  const two = by('nginx-2');
  const cpus = m.cpus;
  const hasRaw = r.latency.some((q) => q.raw);
  const totalFailures = S.reduce((s, t) => s + t.failures, 0);
  const ratios = r.latency.map((q) => q.ratio);
  const lines: string[] = [
    '# Cluster mode against embedded mode: throughput behind nginx, and query latency',
    '',
    `Generated by \`npm run bench:cluster\` (bench/cluster.ts) on ${m.date.slice(0, 16).replace('T', ' ')} UTC; raw numbers (every sample, every round's CPU use) in ` +
      `\`bench/${r.scale === 'M' ? 'cluster' : `cluster-${r.scale.toLowerCase()}`}-results.json\`. ` +
      'Everything runs on one machine over 127.0.0.1: the load generator, nginx, the replicas, the embedded server and PostgreSQL share its CPUs.',
    '',
    '## Machine and settings',
    '',
    `- ${cpus} × ${m.cpuModel}, ${m.memGiB} GiB, ${m.platform}, Node ${m.node}. **Only ${cpus} cores**, shared with other work: ` +
      `load average (1, 5, 15 min) ${m.loadAverage.join(', ')} at the start and ${r.machineAtEnd.loadAverage.join(', ')} at the end` +
      (m.otherBenchProcesses.length || r.machineAtEnd.otherBenchProcesses.length
        ? '; **`npm run bench` was running at the same time**'
        : '') +
      '. Absolute figures move by tens of percent from run to run on this machine; the contenders take turns (call by call, round by round) so that the ratios suffer less, but not nothing.',
    `- Data: scale ${r.scale}, ${r.runs} runs, ${f0(r.observations)} observations: \`${r.database}\` (${f1(r.migration.sourceMiB)} MiB), the database \`npm run bench\` ingested. ` +
      'The embedded server runs on a copy of it; the cluster got it through `driftql migrate-to-cluster` (below).',
    `- Every server: \`node dist/src/server.js\` with ${Object.entries(r.serverEnv)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(', ')} (as bench/run.ts: result cache off, so every request computes; its cost limit; no statement time limit), ` +
      `${r.args.threads ? `\`DRIFT_THREADS=${r.args.threads}\`` : 'DuckDB threads at the default (one per core)'}, ` +
      `${r.args.memoryLimit ? `\`DRIFT_MEMORY_LIMIT=${r.args.memoryLimit}\`` : 'DuckDB memory limit at the default'}, 4 read connections. ` +
      'Replicas add `DRIFT_CATALOG_URL` (a throwaway PostgreSQL 15 on a Unix socket, `fsync=off`), `DRIFT_LAKE` (a folder on the local disk) and their own `DRIFT_UPLOAD_DIR`.',
    '- nginx: the settings of `scripts/local-cluster.sh` that matter for these requests (`least_conn`, upstream `keepalive 32`, `proxy_http_version 1.1`, ' +
      '`Connection ""`, `worker_processes auto`, i.e. 2 workers here), access log off. Two instances run side by side: one with replica 1 as its only upstream, one with replicas 1 and 2.',
    '',
    '## Setup: migrate-to-cluster while the replicas run',
    '',
    `Both replicas started on an empty catalogue; then \`driftql migrate-to-cluster --db ${r.database} --catalog … --lake …\` copied the database in ${f1(r.migration.seconds)} s ` +
      `(${r.migration.lakeFiles} Parquet files, ${Object.entries(r.migration.lakeMiB)
        .map(([t, mib]) => `${t} ${f1(mib)} MiB`)
        .join(', ')}). ` +
      r.migration.pickup
        .map(
          (p) =>
            `replica ${p.replica}'s \`/healthz\` dataVersion went from ${p.before} to ${p.after}, ${p.msAfterCli <= 0 ? 'by the time the CLI exited' : `${f0(p.msAfterCli)} ms after the CLI exited`}`,
        )
        .join('; ') +
      ' (they hear of it through PostgreSQL NOTIFY, or poll every second). The source file was opened read only and no embedded server had it open.',
    '',
    `Checks: the replicas list ${r.checks.sameRuns ? 'the same' : '**different**'} run ids and keys and ${r.checks.sameTopics ? 'the same' : '**different**'} topics as the embedded server; ` +
      `${
        r.latency.every((q) => !q.answerDiff)
          ? 'each query of section 2 answered the same on both (numbers within a relative 1e-9)'
          : `the queries of section 2 answered the same on both (numbers within a relative 1e-9) **except ${r.latency
              .filter((q) => q.answerDiff)
              .map((q) => `${q.name} (${q.answerDiff})`)
              .join('; ')}**`
      }` +
      `; the first chart query of the load ${r.checks.chartSame ? `**differed**: ${r.checks.chartSame}` : 'answered the same'}.`,
    '',
    `## 1. Throughput: the varied one-run chart query, ${r.args.connections} connections, ${r.args.duration} s, ${r.args.rounds} round(s)`,
    '',
    "bench/run.ts's *cache off, varied* load: each request is `trajectories(runIds: [run], topics: [topic])` (one run, one topic, three stances, every point), " +
      `run and topic drawn per request from a seeded PRNG (seed ${r.args.seed}, the same sequence for every target) over ${r.runs} runs × the topics; result cache off everywhere, so every request computes. ` +
      `autocannon in the bench process, ${r.args.connections} connections for ${r.args.duration} s per target per round; ` +
      `${r.args.rounds} rounds, the target order rotating (round 1: embedded, nginx → 1, nginx → 2; round 2 starts with nginx → 1; …). ` +
      (r.args.warmup
        ? `Before the rounds, ${r.args.warmup} s of the same load (another seed, 20 connections) warmed each target up, not counted. `
        : '') +
      "All servers run throughout; the ones a target does not use sit idle. Quoted: medians over the rounds (req/s is autocannon's mean of its per-second counts).",
    '',
    '| target | req/s (median) | req/s per round (cores used by other work meanwhile) | p50 | p99 | requests | errors + non-2xx + GraphQL errors |',
    '|---|---|---|---|---|---|---|',
    ...S.map(
      (s) =>
        `| ${s.what} | **${f0(s.rps)}** | ${s.rounds.map((l) => `${f0(l.requestsPerSec)} (${f2(Math.max(0, l.cpu.otherCores))})`).join(', ')} | ` +
        `${f0(s.p50)} ms | ${f0(s.p99)} ms | ${f0(s.requests)} | ${s.failures} |`,
    ),
    '',
    `Ratios of the medians: nginx → 1 replica ÷ embedded ${f2(one.rps / emb.rps)}×; nginx → 2 replicas ÷ nginx → 1 replica ${f2(two.rps / one.rps)}×; nginx → 2 replicas ÷ embedded ${f2(two.rps / emb.rps)}×. ` +
      `${totalFailures === 0 ? 'No request failed.' : `**${totalFailures} requests failed.**`}`,
    '',
    '### CPU: where the cores went during the load',
    '',
    `CPU time (user + system, all threads) from \`/proc/<pid>/stat\` over each load window, as cores used on average (1.00 = one core fully busy; the machine has ${cpus}), medians over the rounds. ` +
      '"main thread" is the node process\'s first thread, which runs its event loop (JavaScript: HTTP, GraphQL, the analytics, JSON); DuckDB and libuv work run on other threads. ' +
      '"other" is the whole machine\'s busy time (`/proc/stat`) minus the processes listed: work this bench did not start (other jobs on the shared machine; kernel time not charged to a process).',
    '',
    '| target | embedded server (main thread) | replica 1 (main thread) | replica 2 (main thread) | nginx | PostgreSQL | autocannon (bench process) | other | machine | server-side CPU per request | client CPU per request |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...S.map(
      (s) =>
        `| ${s.what} | ${f2(s.cores.embedded!)} (${f2(s.mainThread.embedded!)}) | ${f2(s.cores['replica-1']!)} (${f2(s.mainThread['replica-1']!)}) | ` +
        `${f2(s.cores['replica-2']!)} (${f2(s.mainThread['replica-2']!)}) | ${f2(s.cores.nginx!)} | ${f2(s.cores.postgres!)} | ${f2(s.cores.client!)} | ` +
        `${f2(Math.max(0, s.otherCores))} | ${f2(s.machineCores)} of ${cpus} (${pct(s.machineCores / cpus)}) | ${f1(s.serverCpuMsPerRequest)} ms | ${f1(s.clientCpuMsPerRequest)} ms |`,
    ),
    '',
    'Server-side CPU per request: CPU time of the servers, nginx and PostgreSQL over the window ÷ requests answered in it.',
    '',
    '**What bounds the throughput**, from these figures:',
    '',
    ...S.map((s) => `- ${s.what}: ${boundFor(s, cpus)}.`),
    '',
    `## 2. Latency of each analytic query: one replica directly against the embedded server (${r.latency[0]?.embedded.samples.length ?? 0} repetitions)`,
    '',
    "bench/run.ts's query list, each as GraphQL over HTTP, result cache off on both servers (`DRIFT_CACHE_BYTES=0`, `DRIFT_CACHE_ENTRIES=0`), same DuckDB threads and memory settings: " +
      'the **embedded** server (DuckDB file) and **replica 1** called directly, without nginx (in-memory DuckDB: the catalogue mirrored from PostgreSQL, checkpoint values copied in from the lake, observations and prompt means views over `read_parquet` of the lake files). ' +
      (hasRaw
        ? `Beside them, run.ts's raw DuckDB baselines in the bench process on \`${r.rawDatabase}\` (read only): **raw-table SQL** computes prompt means and per-checkpoint values from the raw observation table on every call; ` +
          '**materialised-table SQL** reads a per-checkpoint table built once beforehand (see bench/RESULTS.md). Neither does GraphQL, JSON over HTTP, intervals or drift times: lower bounds. '
        : "run.ts's raw DuckDB baselines are left out: its raw database (`raw-parquet.duckdb` with tables `cp` and `runs`) was not found for this scale. ") +
      'Each contender: 2 untimed calls, then they take turns call by call, the starting one rotating. Quoted: p50 / p95 of the timed calls, measured by the client from request to parsed answer.',
    '',
    "- **cluster ÷ embedded** = replica 1's median ÷ the embedded server's median for the same query: the cost of cluster-mode storage (checkpoint values copied from the lake, the in-memory catalogue mirror) for one request on an otherwise idle replica. Above 1: the cluster is slower.",
    '- **paired** = the median over the repetitions of (replica call ÷ embedded call of the same round): the same comparison, less sensitive to slow spells of the machine.',
    ...(hasRaw
      ? [
          "- **÷ raw SQL** = that server's median ÷ the raw-table SQL median, as run.ts reports it (below 1: the server is faster than raw DuckDB recomputing from observations).",
        ]
      : []),
    '',
    hasRaw
      ? '| query | embedded p50 / p95 | cluster (replica 1) p50 / p95 | cluster ÷ embedded (p50) | paired | raw-table SQL p50 / p95 | materialised-table SQL p50 / p95 | embedded ÷ raw SQL | cluster ÷ raw SQL |'
      : '| query | embedded p50 / p95 | cluster (replica 1) p50 / p95 | cluster ÷ embedded (p50) | paired |',
    hasRaw ? '|---|---|---|---|---|---|---|---|---|' : '|---|---|---|---|---|',
    ...r.latency.map((q) => {
      const base = `| ${q.name} | ${f1(q.embedded.p50)} / ${f1(q.embedded.p95)} ms | ${f1(q.cluster.p50)} / ${f1(q.cluster.p95)} ms | **${slower(q.ratio)}** | ${f2(q.pairedRatio)}× |`;
      if (!hasRaw) return base;
      return (
        `${base} ${q.raw ? `${f1(q.raw.p50)} / ${f1(q.raw.p95)} ms` : 'n/a'} | ${q.mat ? `${f1(q.mat.p50)} / ${f1(q.mat.p95)} ms` : 'n/a'} | ` +
        `${q.raw ? `${f2(q.embedded.p50 / q.raw.p50)}×` : 'n/a'} | ${q.raw ? `${f2(q.cluster.p50 / q.raw.p50)}×` : 'n/a'} |`
      );
    }),
    '',
    `Cluster ÷ embedded ranges from ${f2(Math.min(...ratios))}× to ${f2(Math.max(...ratios))}× (median over the queries ${f2(median(ratios))}×).`,
    '',
    '### Why: the one SQL statement behind every analytic query, on each storage layout',
    '',
    'Every analytic query reads its data with one SQL statement (`loadCheckpoints` in src/services/checkpoints.ts: `checkpoint_values` of the asked runs joined with stage and topic names); ' +
      'the run and stage catalogue is held in memory in both modes. That statement alone, timed in the bench process with the parameters the servers bind, on: ' +
      Object.values(LAYOUTS).join('; ') +
      '. The three in-memory layouts copy the catalogue tables in and turn the Parquet metadata cache on, as a replica does. ' +
      `The lake's checkpoint_values file: ${f0(r.storage.checkpointRows)} rows in ${r.storage.checkpointRowGroups} row group(s), ${f0(r.storage.checkpointFileKiB)} KiB (zstd, rows ordered by run). ` +
      "The layouts take turns call by call after 2 untimed calls each; p50 / p95, and in brackets p50 ÷ the native table's p50.",
    '',
    `| statement | calls | rows | ${Object.values(LAYOUTS).join(' | ')} |`,
    `|---|---|---|${Object.keys(LAYOUTS)
      .map(() => '---')
      .join('|')}|`,
    ...r.storage.cases.map(
      (c) =>
        `| ${c.name} | ${c.calls} | ${f0(c.rows)} | ` +
        (Object.keys(LAYOUTS) as Layout[])
          .map(
            (k) =>
              `${f2(c.stats[k].p50)} / ${f2(c.stats[k].p95)} ms${k === 'native' ? '' : ` (${f2(c.stats[k].p50 / c.stats.native.p50)}×)`}`,
          )
          .join(' | ') +
        ' |',
    ),
    '',
    '## Summary',
    '',
    `- Throughput of the varied one-run chart query (cache off, ${r.args.connections} connections): embedded ${f0(emb.rps)} req/s (p99 ${f0(emb.p99)} ms); ` +
      `nginx → 1 replica ${f0(one.rps)} req/s (p99 ${f0(one.p99)} ms); nginx → 2 replicas ${f0(two.rps)} req/s (p99 ${f0(two.p99)} ms); ` +
      `${totalFailures === 0 ? 'no errors' : `**${totalFailures} failures**`}.`,
    `- Machine CPU during the loads: ${S.map((s) => `${s.what} ${pct(s.machineCores / cpus)}`).join(', ')} of ${cpus} cores. ` +
      `A second replica on the same ${cpus} cores ${two.rps > one.rps * 1.1 ? 'adds throughput only as far as idle CPU allows' : 'adds no CPU, only a second process competing for the same cores'}. ` +
      `CPU per request (server side): embedded ${f1(emb.serverCpuMsPerRequest)} ms, nginx → 1 replica ${f1(one.serverCpuMsPerRequest)} ms, nginx → 2 replicas ${f1(two.serverCpuMsPerRequest)} ms.`,
    `- Analytic query latency, cluster ÷ embedded (medians): ${r.latency.map((q) => `${q.name} ${f2(q.ratio)}×`).join('; ')}.`,
    `- Peak RSS (VmHWM): ${Object.entries(r.peakRssMiB)
      .map(([k, v]) => `${k} ${f0(v)} MiB`)
      .join(', ')}.`,
    '',
  ];
  const logged = Object.entries(r.serverLogLines).filter(([, n]) => n > 0);
  if (logged.length) {
    // The first lines of each server, the same message (pid aside) once.
    const seen = new Map<string, number>();
    for (const l of r.serverLogSample) {
      const k = l.replace(/\(node:\d+\) /, '');
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    lines.push(
      `Server stderr: ${logged.map(([k, n]) => `${k} ${n} line(s)`).join(', ')}; the first lines of each, repeated ones once:`,
      '',
      ...[...seen].map(([l, n]) => `    ${l}${n > 1 ? ` (${n}×)` : ''}`),
      '',
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

/** The scale's bench database (as `npm run bench` leaves it), or one ingested here from the bundle. */
async function sourceDatabase(scale: Scale): Promise<{ file: string; raw: string | null }> {
  const dir = path.join(ROOT, 'bench', 'out', scale);
  const file = path.join(dir, 'driftql-parquet.duckdb');
  const raw = path.join(dir, 'raw-parquet.duckdb');
  if (fs.existsSync(file)) return { file, raw: fs.existsSync(raw) ? raw : null };
  const shared = path.join(dir, 'bundles', 'parquet');
  const bundle = fs.existsSync(path.join(shared, 'manifest.json'))
    ? shared
    : (await generateBundles(path.join(ROOT, 'bench', 'out', 'cluster', scale, 'bundles'), SCALES[scale], log)).parquet;
  const made = path.join(benchTempDir('driftql-cluster-db-'), 'source.duckdb');
  log(`  no ${path.relative(ROOT, file)}: ingesting ${path.relative(ROOT, bundle)} into ${made}`);
  const db = await DriftDb.open(made, { readConnections: 1 });
  try {
    await migrate(db);
    await ingestBundle(db, bundle);
  } finally {
    await db.close();
  }
  return { file: made, raw: null };
}

/** run.ts's raw database, opened read only, when it has the tables its baselines read. */
async function openRaw(file: string | null): Promise<DriftDb | null> {
  if (!file) return null;
  const db = await DriftDb.open(file, { readConnections: 1, readOnly: true });
  const tables = (await db.query('SELECT table_name FROM duckdb_tables()')).map((t) => String(t.table_name));
  if (['observations', 'cp', 'runs'].every((t) => tables.includes(t))) return db;
  await db.close();
  return null;
}

function runCli(args: string[]): Promise<{ seconds: number; output: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DRIFT_')));
    const child = track(spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('exit', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code === 0) resolve({ seconds, output: output.trim() });
      else reject(new Error(`driftql ${args[0]} exited with ${code}: ${output.slice(-2000)}`));
    });
  });
}

async function dataVersion(url: string): Promise<number> {
  const body = (await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).json()) as { dataVersion: number };
  return body.dataVersion;
}

function dirMiB(dir: string): { files: number; mib: number } {
  let files = 0;
  let bytes = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.parquet')) continue;
    files++;
    bytes += fs.statSync(path.join(dir, f)).size;
  }
  return { files, mib: round(bytes / 2 ** 20, 2) };
}

let embedded: BenchServer | null = null;
const replicas: BenchServer[] = [];
let pg: Postgres | null = null;
let balancers: Nginx[] = [];

async function stopEverything(): Promise<void> {
  await Promise.all(balancers.map((n) => n.stop()));
  await Promise.all([...replicas, ...(embedded ? [embedded] : [])].map((s) => s.stop()));
  pg?.stop();
}

async function main(): Promise<void> {
  const name = reportName(process.argv.slice(2));
  if (report.rerender<Results>(name, VERSION, render)) return;
  const args = parseArgs(process.argv.slice(2));
  const machineAtStart = machine();
  const n = SCALES[args.scale];
  log(`cluster benchmark, scale ${args.scale} (${n} runs); load average ${machineAtStart.loadAverage.join(', ')}`);
  nginxBinary(); // fail early when nginx is missing

  const source = await sourceDatabase(args.scale);
  const work = benchTempDir('driftql-cluster-');
  const lake = path.join(work, 'lake');
  fs.mkdirSync(lake);
  const serverEnv: Record<string, string> = {
    ...SERVER_ENV,
    DRIFT_CACHE_BYTES: '0',
    DRIFT_CACHE_ENTRIES: '0',
    DRIFT_MAX_COST: String(BENCH_MAX_COST),
    DRIFT_QUERY_TIMEOUT_MS: '0',
    ...(args.threads ? { DRIFT_THREADS: String(args.threads) } : {}),
    ...(args.memoryLimit ? { DRIFT_MEMORY_LIMIT: args.memoryLimit } : {}),
  };

  // The embedded server's copy, made before anything opens the source.
  const servedFile = path.join(work, 'embedded.duckdb');
  fs.copyFileSync(source.file, servedFile);

  log('  PostgreSQL 15: initdb and start');
  pg = Postgres.start();
  const replicaEnv = (i: number) => {
    const uploads = path.join(work, `uploads-${i}`);
    fs.mkdirSync(uploads, { recursive: true });
    return { ...serverEnv, DRIFT_CATALOG_URL: pg!.url, DRIFT_LAKE: lake, DRIFT_UPLOAD_DIR: uploads };
  };
  // Replica 1 first: it applies the catalogue migrations to the empty PostgreSQL.
  log('  replicas: starting on the empty catalogue');
  replicas.push(await BenchServer.start(path.join(work, 'unused-1.duckdb'), replicaEnv(1)));
  replicas.push(await BenchServer.start(path.join(work, 'unused-2.duckdb'), replicaEnv(2)));
  const before = await Promise.all(replicas.map((s) => dataVersion(s.url)));

  log(`  migrate-to-cluster from ${path.relative(ROOT, source.file) || source.file} (read only) while the replicas run`);
  const migrated = await runCli(['migrate-to-cluster', '--db', source.file, '--catalog', pg.url, '--lake', lake, '--quiet']);
  const cliDone = performance.now();
  log(`  ${migrated.output.split('\n').at(-1)} (${migrated.seconds.toFixed(1)} s)`);
  const pickup: Results['migration']['pickup'] = [];
  for (const [i, s] of replicas.entries()) {
    for (;;) {
      const v = await dataVersion(s.url);
      if (v !== before[i]) {
        pickup.push({ replica: i + 1, before: before[i]!, after: v, msAfterCli: round(performance.now() - cliDone) });
        break;
      }
      if (performance.now() - cliDone > 30_000) throw new Error(`replica ${i + 1} still shows data version ${v} 30 s after the migration`);
      await sleep(20);
    }
  }
  log(`  replicas picked it up: ${pickup.map((p) => `${p.before} → ${p.after} after ${p.msAfterCli} ms`).join(', ')}`);
  const lakeMiB: Record<string, number> = {};
  let lakeFiles = 0;
  for (const t of fs.readdirSync(lake)) {
    if (t.startsWith('.')) continue;
    const d = dirMiB(path.join(lake, t));
    lakeMiB[t] = d.mib;
    lakeFiles += d.files;
  }

  log('  embedded server on a copy of the same file');
  embedded = await BenchServer.start(servedFile, serverEnv);
  balancers = [await Nginx.start([replicas[0]!.port]), await Nginx.start(replicas.map((s) => s.port))];
  const gql = (s: BenchServer) => `${s.url}/graphql`;
  const embUrl = gql(embedded);
  const repUrl = gql(replicas[0]!);

  const raw = await openRaw(source.raw);
  try {
    // Checks: the same catalogue on both sides.
    const ids = await allRuns(embUrl);
    if (ids.length !== n) throw new Error(`the embedded server lists ${ids.length} runs, expected ${n}`);
    const topicsOf = async (url: string) =>
      ((await gqlCall(url, `{ topics { name } }`)) as { data: { topics: { name: string }[] } }).data.topics.map((t) => t.name);
    const topics = await topicsOf(embUrl);
    let sameRuns = true;
    let sameTopics = true;
    for (const s of replicas) {
      sameRuns &&= JSON.stringify(await allRuns(gql(s))) === JSON.stringify(ids);
      sameTopics &&= JSON.stringify(await topicsOf(gql(s))) === JSON.stringify(topics);
    }
    const observations = (
      (await gqlCall(embUrl, `{ datasets { observationCount } }`)) as { data: { datasets: { observationCount: number }[] } }
    ).data.datasets.reduce((s, d) => s + Number(d.observationCount), 0);
    log(
      `  ${ids.length} runs, ${topics.length} topics, ${observations.toLocaleString('en-US')} observations; same on the replicas: ${sameRuns && sameTopics}`,
    );

    // 2. Latency, as run.ts measures it.
    const oneRun = ids.slice(0, 1);
    const twenty = ids.slice(0, 20);
    const cases: [string, (url: string) => Promise<unknown>, (src: Source) => string][] = [
      [
        'trajectories, 1 run',
        (url) => gqlCall(url, Q.trajectories, { ids: oneRun.map((r) => r.id) }),
        (s) =>
          SQL.trajectories(
            s,
            oneRun.map((r) => r.key),
          ),
      ],
      [
        `trajectories, ${twenty.length} runs`,
        (url) => gqlCall(url, Q.trajectories, { ids: twenty.map((r) => r.id) }),
        (s) =>
          SQL.trajectories(
            s,
            twenty.map((r) => r.key),
          ),
      ],
      ['driftMetrics, all runs', (url) => gqlCall(url, Q.drift), SQL.drift],
      ['stageAttribution, all runs', (url) => gqlCall(url, Q.attribution), SQL.attribution],
      ['groupedTrajectories, all runs', (url) => gqlCall(url, Q.grouped), SQL.grouped],
      ['effectDecomposition, all runs', (url) => gqlCall(url, Q.effect), SQL.effect],
    ];
    log(`latency: ${cases.length} queries, ${args.reps} repetitions, embedded vs replica 1${raw ? ' vs raw DuckDB' : ''}`);
    const latency: QueryResult[] = [];
    for (const [qname, call, sql] of cases) {
      const answerDiff = sameAnswer(await call(embUrl), await call(repUrl));
      const fns: Record<string, () => Promise<unknown>> = { embedded: () => call(embUrl), cluster: () => call(repUrl) };
      if (raw) {
        const rawSql = sql(FROM_RAW);
        const matSql = sql(FROM_CP);
        fns.raw = () => raw.query(rawSql);
        fns.mat = () => raw.query(matSql);
      }
      const t = await compare(args.reps, fns);
      const paired = t.cluster!.samples.map((c, i) => c / t.embedded!.samples[i]!);
      latency.push({
        name: qname,
        embedded: t.embedded!,
        cluster: t.cluster!,
        raw: t.raw ?? null,
        mat: t.mat ?? null,
        ratio: round(t.cluster!.p50 / t.embedded!.p50, 3),
        pairedRatio: round(median(paired), 3),
        answerDiff,
      });
      log(
        `  ${qname}: embedded ${t.embedded!.p50.toFixed(1)} ms, cluster ${t.cluster!.p50.toFixed(1)} ms (${(t.cluster!.p50 / t.embedded!.p50).toFixed(2)}×)` +
          (t.raw ? `, raw SQL ${t.raw.p50.toFixed(1)} ms, materialised ${t.mat!.p50.toFixed(1)} ms` : '') +
          (answerDiff ? `; ANSWERS DIFFER: ${answerDiff}` : ''),
      );
    }

    log('storage alone: loadCheckpoints on native tables vs Parquet views');
    const storage = await storageAlone(
      source.file,
      lake,
      ids.map((r) => Number(r.id)),
      topics,
      args.reps,
    );

    // 3. Throughput.
    const urls: Record<TargetName, string> = {
      embedded: embUrl,
      'nginx-1': `${balancers[0]!.url}/graphql`,
      'nginx-2': `${balancers[1]!.url}/graphql`,
    };
    const runIds = ids.map((r) => r.id);
    const first = JSON.parse(variedCharts(runIds, topics, args.seed)()) as { variables: object };
    const chartSame = sameAnswer(await gqlCall(embUrl, Q.chart, first.variables), await gqlCall(urls['nginx-2'], Q.chart, first.variables));
    const pgPid = pg.pid();
    const groups: ProcGroup[] = [
      { name: 'embedded', pids: () => [embedded!.child.pid!], node: true },
      { name: 'replica-1', pids: () => [replicas[0]!.child.pid!], node: true },
      { name: 'replica-2', pids: () => [replicas[1]!.child.pid!], node: true },
      { name: 'nginx', pids: () => balancers.flatMap((b) => b.pids()) },
      { name: 'postgres', pids: () => [pgPid, ...childrenOf(pgPid)], withChildren: true },
      { name: 'client', pids: () => [process.pid], node: true },
    ];
    const warmup: LoadResult[] = [];
    if (args.warmup > 0) {
      for (const t of TARGETS) {
        log(`warm-up ${t.what}: 20 connections for ${args.warmup} s`);
        warmup.push(await runLoad(t.name, 0, urls[t.name], 20, args.warmup, variedCharts(runIds, topics, args.seed + 1000), groups));
      }
    }
    const load: LoadResult[] = [];
    for (let rd = 0; rd < args.rounds; rd++) {
      for (let k = 0; k < TARGETS.length; k++) {
        const t = TARGETS[(k + rd) % TARGETS.length]!;
        await sleep(2000);
        const l = await runLoad(
          t.name,
          rd + 1,
          urls[t.name],
          args.connections,
          args.duration,
          variedCharts(runIds, topics, args.seed),
          groups,
        );
        load.push(l);
        log(
          `  round ${rd + 1}, ${t.what}: ${l.requestsPerSec.toFixed(0)} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms, ` +
            `failures ${l.errors + l.non2xx + l.graphqlErrors}; machine ${l.cpu.machineCores.toFixed(2)} cores busy (` +
            Object.entries(l.cpu.cores)
              .filter(([, c]) => c >= 0.01)
              .map(([g, c]) => `${g} ${c.toFixed(2)}`)
              .join(', ') +
            ')',
        );
      }
    }

    const servers: [string, BenchServer][] = [
      ['embedded server', embedded],
      ['replica 1', replicas[0]!],
      ['replica 2', replicas[1]!],
    ];
    const results: Results = {
      version: VERSION,
      scale: args.scale,
      runs: n,
      observations,
      args,
      machineAtStart,
      machineAtEnd: machine(),
      database: path.relative(ROOT, source.file) || source.file,
      rawDatabase: raw && source.raw ? path.relative(ROOT, source.raw) : null,
      serverEnv,
      nginxConfig: Nginx.config('<dir>', 0, [1, 2]),
      migration: {
        seconds: round(migrated.seconds, 2),
        lakeFiles,
        lakeMiB,
        sourceMiB: round(fs.statSync(source.file).size / 2 ** 20, 1),
        pickup,
        output: migrated.output,
      },
      checks: { sameRuns, sameTopics, chartSame },
      latency,
      storage,
      warmup,
      load,
      peakRssMiB: Object.fromEntries(servers.map(([k, s]) => [k, round(s.peakRssMib())])),
      serverLogLines: Object.fromEntries(servers.map(([k, s]) => [k, s.stderr.lines])),
      serverLogSample: servers.flatMap(([k, s]) => s.stderr.sample.map((l) => `${k}: ${l}`)),
    };
    await report.write(name, results, render);
  } finally {
    await raw?.close();
    await stopEverything();
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopEverything().catch(() => undefined);
  process.exit(1);
});
