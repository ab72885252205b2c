/**
 * `driftql push <bundle-dir> --server <url>`: pack a bundle, upload it to a running server
 * (POST /api/v1/bundles) and follow its ingest job until it ends, printing the result or the
 * problems exactly as a local ingest would.
 *
 * On a terminal, progress is drawn as two bars (cli-progress): the upload (bytes of the bundle
 * packed and sent, rate and time left) and the server's phases (reading, writing, aggregating,
 * committing), with row counts and time spent. Elsewhere (a log, CI) each step is one line.
 */
import { Presets, SingleBar } from 'cli-progress';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { create } from 'tar';
import { BundleError, type Problem } from '../ingest/errors';
import type { IngestResult } from '../ingest/ingest';
import { readManifest } from '../ingest/manifest';
import { describe } from './commands';

interface JobJson {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: { phase: string; rows: number | null; message: string };
  result: IngestResult | null;
  problems: Problem[];
  error: string | null;
}

export interface PushOptions {
  server: string;
  token?: string;
  replace?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
}

class PushError extends Error {}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The server's phases of a job that goes well, in order (see README "Uploading to a running server"). */
const PHASES = ['queued', 'reading', 'writing', 'aggregating', 'committing', 'done'];

/** Progress for a person: bars on a terminal, one line per step elsewhere, nothing when quiet. */
class Progress {
  private readonly tty: boolean;
  private bar: SingleBar | undefined;

  constructor(private readonly quiet: boolean) {
    this.tty = !quiet && process.stderr.isTTY === true;
  }

  line(message: string): void {
    if (this.quiet) return;
    if (this.bar) this.bar.stop();
    this.bar = undefined;
    process.stderr.write(`  ${message}\n`);
  }

  /** Starts a bar when on a terminal; `update` moves it. */
  start(format: string, total: number, payload: Record<string, unknown>): void {
    if (!this.tty) return;
    this.bar?.stop();
    this.bar = new SingleBar({ format: `  ${format}`, stream: process.stderr, hideCursor: true, etaBuffer: 20 }, Presets.shades_classic);
    this.bar.start(total, 0, payload);
  }

  update(value: number, payload: Record<string, unknown>): void {
    this.bar?.update(value, payload);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/** Bytes of the tar stream of a folder (512-byte headers, data padded to 512, two end blocks). */
async function tarBytes(dir: string): Promise<number> {
  let total = 1024;
  for (const entry of await fs.promises.readdir(dir, { withFileTypes: true, recursive: true })) {
    total += 512;
    if (entry.isFile()) total += Math.ceil((await fs.promises.stat(path.join(entry.parentPath, entry.name))).size / 512) * 512;
  }
  return total + 512; // the folder itself
}

/**
 * The bundle as a gzip tar request body, packed while it is sent (bounded memory, no temp file),
 * counting the tar bytes as they go into the compressor. Parquet is already compressed, so a
 * Parquet-only bundle is stored (gzip level 0: packing costs next to nothing); text formats get
 * the fast level 1, which already shrinks CSV several times.
 */
function packed(dir: string, level: number, onBytes: (total: number) => void): AsyncIterable<Buffer> {
  let total = 0;
  const tarStream = create({ gzip: false, cwd: dir, portable: true }, ['.']) as unknown as NodeJS.ReadableStream;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
  // Large output chunks: each is one write to the socket.
  const gzip = zlib.createGzip({ level, chunkSize: 1 << 20 });
  tarStream.on('error', (err: Error) => gzip.destroy(err));
  counter.on('error', (err) => gzip.destroy(err));
  return tarStream.pipe(counter).pipe(gzip);
}

async function answer(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new PushError(`the server answered HTTP ${res.status} with something other than JSON; is ${res.url} a driftql server?`);
  }
}

function refused(status: number, body: Record<string, unknown>): never {
  const error = body.error as { code?: string; message?: string; problems?: Problem[] } | undefined;
  if (error?.problems?.length) throw new BundleError(error.problems);
  throw new PushError(
    `the server refused the upload (HTTP ${status}${error?.code ? `, ${error.code}` : ''}): ${error?.message ?? 'no reason given'}`,
  );
}

export async function push(dir: string, opts: PushOptions): Promise<void> {
  const token = opts.token ?? process.env.DRIFT_TOKEN;
  const base = opts.server.replace(/\/+$/, '');
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const progress = new Progress(opts.quiet === true);
  const query = new URLSearchParams();
  if (opts.replace) query.set('replace', 'true');
  if (opts.dryRun) query.set('dryRun', 'true');

  // The same manifest checks as a local ingest, before anything is sent.
  const manifest = readManifest(dir);
  const level = manifest.files.every((f) => f.format === 'parquet') ? 0 : 1;
  const size = await tarBytes(dir);
  progress.line(`packing and uploading ${path.basename(path.resolve(dir))} (${mib(size)} of files)`);
  const sendStarted = Date.now();
  progress.start('uploading [{bar}] {percentage}% | {sent} of {size} | {rate} | {eta_formatted} left', size, {
    sent: mib(0),
    size: mib(size),
    rate: '',
  });
  const body = packed(dir, level, (total) =>
    progress.update(Math.min(total, size), {
      sent: mib(total),
      rate: `${mib(total / Math.max(0.001, (Date.now() - sendStarted) / 1000))}/s`,
    }),
  );
  let res: Response;
  try {
    // Node's fetch takes an async iterable body (no conversion to a web stream on the way).
    res = await fetch(`${base}/api/v1/bundles${query.size ? `?${query}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/gzip', ...auth },
      body: body as unknown as BodyInit,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
  } catch (err) {
    progress.stop();
    throw new PushError(`cannot reach ${base}: ${(err as Error).message}; check --server`);
  }
  progress.stop();
  const accepted = await answer(res);
  if (res.status !== 202) refused(res.status, accepted);
  const id = (accepted.job as { id: string }).id;
  progress.line(`uploaded in ${((Date.now() - sendStarted) / 1000).toFixed(1)} s; ingest job ${id} queued`);

  // Follow the job: its server-sent events (each change as it is written), or polling when the
  // event stream is not available; a bar over the phases on a terminal, a line per phase elsewhere.
  const started = Date.now();
  let shown = '';
  progress.start('server    [{bar}] {phase}: {message} ({seconds} s)', PHASES.length - 1, { phase: 'queued', message: '', seconds: '0.0' });
  const show = (job: JobJson) => {
    const { phase, message } = job.progress;
    const step = PHASES.indexOf(phase);
    progress.update(step >= 0 ? step : 0, { phase, message, seconds: ((Date.now() - started) / 1000).toFixed(1) });
    if (process.stderr.isTTY !== true) {
      const line = `${phase}: ${message}`;
      if (line !== shown) progress.line(line);
      shown = line;
    }
  };
  const end = (await followEvents(`${base}/api/v1/jobs/${id}/events`, auth, show)) ?? (await poll(`${base}/api/v1/jobs/${id}`, auth, show));
  progress.stop();
  if (end.status === 'succeeded') {
    console.log(describe(end.result!));
    return;
  }
  if (end.problems.length) throw new BundleError(end.problems);
  throw new PushError(`the ingest failed on the server: ${end.error ?? end.progress.message}`);
}

const ended = (job: JobJson) => job.status === 'succeeded' || job.status === 'failed';

/** Reads the job's event stream until the job ends; undefined when the stream is unavailable or breaks off. */
async function followEvents(url: string, auth: Record<string, string>, show: (job: JobJson) => void): Promise<JobJson | undefined> {
  try {
    const res = await fetch(url, { headers: { ...auth, accept: 'text/event-stream' } });
    if (res.status !== 200 || !res.body) return undefined;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = event
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (!data) continue; // a keep-alive comment
        const job = JSON.parse(data) as JobJson;
        show(job);
        if (ended(job)) return job;
      }
    }
  } catch {
    // fall back to polling
  }
  return undefined;
}

/** Polls the job until it ends. */
async function poll(url: string, auth: Record<string, string>, show: (job: JobJson) => void): Promise<JobJson> {
  for (;;) {
    const r = await fetch(url, { headers: auth });
    const job = (await answer(r)) as unknown as JobJson;
    if (r.status !== 200) refused(r.status, job as unknown as Record<string, unknown>);
    show(job);
    if (ended(job)) return job;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
