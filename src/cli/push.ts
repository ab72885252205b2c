/**
 * `driftql push <bundle-dir> --server <url>`: pack a bundle, upload it to a running server
 * (POST /api/v1/bundles) and follow its ingest job until it ends, printing the result or the
 * problems exactly as a local ingest would.
 */
import { Readable } from 'node:stream';
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

/** Packs the bundle folder as a gzip tar, in memory-bounded chunks, counting bytes as they go out. */
function packed(dir: string, onBytes: (total: number) => void): ReadableStream<Uint8Array> {
  let total = 0;
  const tarStream = create({ gzip: true, cwd: dir, portable: true }, ['.']);
  const counted = Readable.from(
    (async function* () {
      for await (const chunk of tarStream as AsyncIterable<Buffer>) {
        total += chunk.length;
        onBytes(total);
        yield chunk;
      }
    })(),
  );
  return Readable.toWeb(counted) as ReadableStream<Uint8Array>;
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
  readManifest(dir); // the same manifest checks as a local ingest, before anything is sent
  const token = opts.token ?? process.env.DRIFT_TOKEN;
  const base = opts.server.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/gzip', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const say = (m: string) => {
    if (!opts.quiet) process.stderr.write(`  ${m}\n`);
  };
  const query = new URLSearchParams();
  if (opts.replace) query.set('replace', 'true');
  if (opts.dryRun) query.set('dryRun', 'true');

  let lastShown = 0;
  const body = packed(dir, (total) => {
    if (!opts.quiet && total - lastShown >= 4 * 2 ** 20) {
      lastShown = total;
      process.stderr.write(`\r  uploading: ${mib(total)} sent`);
    }
  });
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/bundles${query.size ? `?${query}` : ''}`, {
      method: 'POST',
      headers,
      body,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
  } catch (err) {
    throw new PushError(`cannot reach ${base}: ${(err as Error).message}; check --server`);
  }
  if (!opts.quiet && lastShown > 0) process.stderr.write('\n');
  const accepted = await answer(res);
  if (res.status !== 202) refused(res.status, accepted);
  const id = (accepted.job as { id: string }).id;
  say(`uploaded; ingest job ${id} queued`);

  // Follow the job: poll its state, printing each new phase.
  let shown = '';
  for (;;) {
    const r = await fetch(`${base}/api/v1/jobs/${id}`, { headers });
    const job = (await answer(r)) as unknown as JobJson;
    if (r.status !== 200) refused(r.status, job as unknown as Record<string, unknown>);
    const line = `${job.progress.phase}: ${job.progress.message}`;
    if (line !== shown) {
      say(line);
      shown = line;
    }
    if (job.status === 'succeeded') {
      console.log(describe(job.result!));
      return;
    }
    if (job.status === 'failed') {
      if (job.problems.length) throw new BundleError(job.problems);
      throw new PushError(`the ingest failed on the server: ${job.error ?? job.progress.message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
