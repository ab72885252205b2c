/**
 * What the benchmark scripts share: statistics over samples, the machine's description, and a
 * driftql server process (`node dist/src/server.js`, as `npm start` runs it) that is stopped
 * however the script ends, with its temporary folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../src/paths';
import { SCALES, type Scale } from './generate';

export const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Linear-interpolation quantile (q in [0, 1]) of the samples; NaN for none. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
export const median = (xs: number[]) => quantile(xs, 0.5);
export const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

/** Reads `--name value` options: strings, bounded numbers and the data scale. */
export function options(argv: string[]) {
  const get = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
  };
  const num = (name: string, dflt: number, min: number, max: number) => {
    const v = Number(get(name, String(dflt)));
    if (!Number.isFinite(v) || v < min || v > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return v;
  };
  const scale = (): Scale => {
    const s = get('scale', 'M').toUpperCase() as Scale;
    if (!(s in SCALES)) throw new Error(`unknown scale ${s}; use ${Object.keys(SCALES).join(', ')}`);
    return s;
  };
  return { get, num, scale };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Other `npm run bench` processes on the machine (they would skew any timing). */
function otherBenchProcesses(): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (/dist\/bench\/run\.js/.test(cmd)) out.push(cmd.slice(0, 200));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function machine() {
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg().map((x) => round(x, 2)),
    otherBenchProcesses: otherBenchProcesses(),
  };
}

export function procStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** The environment a benchmarked server gets on top of the defaults. */
export const SERVER_ENV = {
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  DRIFT_SEED_DEMO: 'false',
  // Thousands of requests a minute come from one address; the rate limit is tested elsewhere.
  DRIFT_RATE_LIMIT: '0',
  UV_THREADPOOL_SIZE: '8',
};

/** A server process and what it wrote to stderr. */
export class BenchServer {
  /** Lines the server wrote to stderr (errors it logs), and the first few of them. */
  readonly stderr = { lines: 0, sample: [] as string[] };

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts `node dist/src/server.js` on `dbFile`, with no DRIFT_* variable of this process passed on. */
  static async start(dbFile: string, extraEnv: Record<string, string> = {}): Promise<BenchServer> {
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DRIFT_') && k !== 'UV_THREADPOOL_SIZE'));
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'server.js')], {
      env: { ...env, ...SERVER_ENV, ...extraEnv, PORT: String(port), DRIFT_DB: dbFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const server = new BenchServer(child, port);
    running.add(server);
    let pending = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        server.stderr.lines++;
        if (server.stderr.sample.length < 5) server.stderr.sample.push(line.slice(0, 300));
      }
    });
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) break;
      try {
        if ((await fetch(`${server.url}/healthz`)).ok) return server;
      } catch {
        /* not up yet */
      }
      await sleep(100);
    }
    await server.stop();
    throw new Error(`server did not start: ${server.stderr.sample.join(' | ')}`);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Peak RSS (VmHWM) since start, in MiB. */
  peakRssMib(): number {
    return procStatusKb(this.child.pid!, 'VmHWM') / 1024;
  }

  async stop(): Promise<void> {
    running.delete(this);
    if (!this.alive) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

const running = new Set<BenchServer>();
const tempDirs = new Set<string>();
const children = new Set<ChildProcess>();

/** A child process (a CLI run) killed when the script ends, if it is still running then. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A temporary folder removed when the script ends, however it ends. */
export function benchTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/**
 * Stops every server and removes every temporary folder when the script exits, is interrupted,
 * or runs past `watchdogMs`.
 */
export function cleanupOnExit(watchdogMs: number): void {
  const stopAll = () => Promise.all([...running].map((s) => s.stop()));
  process.on('exit', () => {
    for (const s of running) if (s.alive) s.child.kill('SIGKILL');
    for (const c of children) c.kill('SIGKILL');
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the server`);
      void stopAll().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
    });
  }
  setTimeout(() => {
    log(`watchdog: still running after ${watchdogMs / 60000} min; stopping`);
    void stopAll().finally(() => process.exit(2));
  }, watchdogMs).unref();
}

/**
 * A benchmark's report: `bench/<name>-results.json` (in the repository's Prettier style, so that
 * `npm run lint` passes with it committed) and `bench/<NAME>.md`, rendered from it.
 */
export const report = {
  /** With `-- --render`: rewrites the Markdown from the saved results and says so (measure nothing). */
  rerender<R extends { version: number }>(name: string, version: number, render: (r: R) => string): boolean {
    if (!process.argv.includes('--render')) return false;
    const saved = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', `${name}-results.json`), 'utf8')) as R;
    if (saved.version !== version) throw new Error(`${name}-results.json has layout ${saved.version}, not ${version}`);
    fs.writeFileSync(path.join(ROOT, 'bench', `${name.toUpperCase()}.md`), render(saved));
    return true;
  },
  async write<R>(name: string, results: R, render: (r: R) => string): Promise<void> {
    const jsonFile = path.join(ROOT, 'bench', `${name}-results.json`);
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(jsonFile)) ?? {};
    fs.writeFileSync(jsonFile, await prettier.format(JSON.stringify(results), { ...options, filepath: jsonFile }));
    const md = render(results);
    fs.writeFileSync(path.join(ROOT, 'bench', `${name.toUpperCase()}.md`), md);
    process.stdout.write(md);
  },
};

// Timing contenders against each other (bench/run.ts, bench/cluster.ts).

export async function timeIt<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
}

export interface Stat {
  p50: number;
  p95: number;
  /** every timed call, ms, in call order */
  samples: number[];
}

export const stat = (ms: number[]): Stat => ({ p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), samples: ms });

/**
 * Times several contenders on the same task: two untimed warm-up calls each, then `reps` rounds in
 * which every contender runs once, the starting contender rotating from round to round, so that
 * noise from other work on the machine falls on all of them alike.
 */
export async function compare(reps: number, fns: Record<string, () => Promise<unknown>>): Promise<Record<string, Stat>> {
  const names = Object.keys(fns);
  for (let w = 0; w < 2; w++) for (const n of names) await fns[n]!();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < reps; i++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + i) % names.length]!;
      samples[n]!.push((await timeIt(fns[n]!))[0]);
    }
  }
  return Object.fromEntries(names.map((n) => [n, stat(samples[n]!)]));
}
