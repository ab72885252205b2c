/**
 * The upload API (DESIGN §5 "Data in while serving"):
 *
 * - `POST /api/v1/bundles` (`Content-Type: application/gzip`, optional `?replace=true`,
 *   `?dryRun=true`): the body, a gzip tar of a bundle folder, streams to a temp file (never whole
 *   in memory) capped at DRIFT_MAX_UPLOAD_BYTES, is unpacked safely (extract.ts), its manifest is
 *   read, the caller must be allowed to write the manifest's lab, and an ingest job is queued:
 *   `202 {"job": {"id", "status"}}` with `Location: /api/v1/jobs/<id>`.
 * - `GET /api/v1/jobs/<id>`: the job (`id`, `status`, `progress`, `result`, `problems`, ...).
 * - `GET /api/v1/jobs/<id>/events`: the same as server-sent events, one per change, until it ends.
 *
 * Errors answer `{"error": {"code", "message", "problems"?}}` with the status of HTTP_STATUS.
 * A job is visible to admins and to keys of its lab; to anyone else it does not exist (404).
 */
import express, { type Request, type Response } from 'express';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { assertCanWrite, type Principal } from '../auth/principal';
import { HOW_TO_GET_A_KEY } from '../auth/keys.service';
import { DriftError, NotFoundError, UnauthenticatedError, UserInputError } from '../errors';
import type { PrincipalOf } from '../http/principal';
import { readManifest } from '../ingest/manifest';
import { bundleRoot, extractBundle, removeDir, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_UNPACKED_BYTES } from './extract';
import type { IngestJob, JobService } from './jobs';
import { PayloadTooLargeError, sendError } from '../http/errors';

export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3; // 2 GiB
const GZIP_TYPES = ['application/gzip', 'application/x-gzip', 'application/x-tar+gzip'];

export interface UploadOptions {
  maxUploadBytes?: number;
  maxUnpackedBytes?: number;
  maxEntries?: number;
  /** Folder for uploads and unpacked bundles; the system temp folder by default. */
  tmpRoot?: string;
  /** Whether requests without a key are answered at all (DRIFT_ANONYMOUS_READ). */
  anonymousRead?: boolean;
}

const mib = (n: number) => `${(n / 1024 ** 2).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB`;

function flag(req: Request, name: string): boolean {
  const v = req.query[name];
  if (v === undefined) return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new UserInputError(`?${name}= takes true or false`, name);
}

/** What a client sees of a job. */
export function jobBody(job: IngestJob): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    result: job.result,
    problems: job.problems,
    error: job.error,
    lab: job.lab,
    dataset: job.dataset,
    version: job.version,
    replace: job.replace,
    dryRun: job.dryRun,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

/** Streams the request body into `out`, refusing it (413) past `max` bytes. */
function receive(req: Request, res: Response, out: PassThrough, max: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      if (err) {
        req.unpipe(out);
        out.destroy(err);
        // Answer now and read no more of the body; the connection closes after the answer.
        res.setHeader('Connection', 'close');
        req.resume();
        reject(err);
      } else resolve(bytes);
    };
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > max && !done) {
        finish(
          new PayloadTooLargeError(
            `the upload is larger than ${mib(max)}; split the bundle or ask the server operator to raise DRIFT_MAX_UPLOAD_BYTES`,
          ),
        );
      }
    });
    req.on('error', (err) => finish(err));
    req.on('aborted', () => finish(new UserInputError('the upload was cut off before its end')));
    out.on('error', (err) => finish(err));
    out.on('finish', () => finish());
    // Closed before the end: the unpacking stopped reading (it refused the archive, and says why).
    out.on('close', () => finish(new Error('the upload stopped being read')));
    req.pipe(out);
  });
}

export function uploadRoutes(jobs: JobService, principalOf: PrincipalOf, opts: UploadOptions = {}): express.Router {
  const maxUpload = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const tmpRoot = opts.tmpRoot ?? os.tmpdir();
  const router = express.Router();

  const principal = async (req: Request): Promise<Principal> => {
    const p = await principalOf(req);
    if (p.kind === 'anonymous' && opts.anonymousRead === false) {
      throw new UnauthenticatedError(`this server does not answer requests without a key; ${HOW_TO_GET_A_KEY}`);
    }
    return p;
  };

  router.post('/bundles', async (req, res) => {
    let workDir: string | undefined;
    let queued = false;
    try {
      const who = await principal(req);
      // Refused before a byte of the body is read when no lab could accept it.
      if (who.kind === 'anonymous' || who.role === 'reader') assertCanWrite(who, '');
      const replace = flag(req, 'replace');
      const dryRun = flag(req, 'dryRun');
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!GZIP_TYPES.includes(type)) {
        throw new UserInputError(
          `send the bundle as a gzip-compressed tar with "Content-Type: application/gzip" (got ${type ? `"${type}"` : 'none'}); e.g. tar czf bundle.tar.gz -C <bundle-dir> .`,
        );
      }
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxUpload) {
        res.setHeader('Connection', 'close');
        throw new PayloadTooLargeError(
          `the upload is larger than ${mib(maxUpload)}; split the bundle or ask the server operator to raise DRIFT_MAX_UPLOAD_BYTES`,
        );
      }
      // Unpacked as it arrives: no copy of the archive on disk, and no second pass over it.
      const body = new PassThrough();
      const extracting = extractBundle(body, {
        tmpRoot,
        maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
        maxUnpackedBytes: opts.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES,
      });
      const [received, unpacked] = await Promise.allSettled([receive(req, res, body, maxUpload), extracting]);
      // The body's own failure (too large, cut off) says most; then the archive's (its entries).
      if (received.status === 'rejected' && received.reason instanceof DriftError) throw received.reason;
      if (received.status === 'fulfilled' && received.value === 0) {
        throw new UserInputError('the upload is empty; send the bundle folder as a .tar.gz body');
      }
      if (unpacked.status === 'rejected') throw unpacked.reason;
      if (received.status === 'rejected') throw received.reason;
      workDir = unpacked.value.dir;
      const bundleDir = bundleRoot(workDir);
      const manifest = readManifest(bundleDir);
      assertCanWrite(who, manifest.dataset.lab);
      const job = await jobs.create({
        lab: manifest.dataset.lab,
        dataset: manifest.dataset.name,
        version: manifest.dataset.version,
        keyId: who.kind === 'key' ? who.keyId : null,
        replace,
        dryRun,
        bundleDir,
        workDir,
      });
      queued = true;
      res
        .status(202)
        .location(`/api/v1/jobs/${job.id}`)
        .json({ job: { id: job.id, status: job.status } });
    } catch (err) {
      sendError(res, err);
    } finally {
      if (workDir && !queued) await removeDir(workDir).catch(() => undefined);
    }
  });

  const visibleJob = async (req: Request): Promise<IngestJob> => {
    const who = await principal(req);
    const id = String(req.params.id);
    const job = await jobs.getFor(who, id);
    if (!job) throw new NotFoundError(`no ingest job ${id} visible to this caller; jobs are shown to keys of their lab and to admins`);
    return job;
  };

  router.get('/jobs/:id', async (req, res) => {
    try {
      res.json(jobBody(await visibleJob(req)));
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/jobs/:id/events', async (req, res) => {
    let job: IngestJob;
    try {
      job = await visibleJob(req);
    } catch (err) {
      sendError(res, err);
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const ended = (j: IngestJob) => j.status === 'succeeded' || j.status === 'failed';
    let last = '';
    let unsubscribe = () => undefined as void;
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      res.end();
    };
    const push = (j: IngestJob) => {
      const text = JSON.stringify(jobBody(j));
      if (text === last) return;
      last = text;
      res.write(`event: job\ndata: ${text}\n\n`);
      if (ended(j)) close();
    };
    unsubscribe = jobs.subscribe(job.id, push);
    req.on('close', close);
    // Read again after subscribing, so a change between the first read and now is not missed.
    push((await jobs.get(job.id)) ?? job);
  });

  return router;
}
