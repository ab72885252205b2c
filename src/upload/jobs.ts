/**
 * Ingest jobs: bundles uploaded to a running server, kept in the catalogue table `ingest_jobs`
 * and ingested one at a time per database, in order of arrival, by `ingestBundle` (all or
 * nothing, so a job that fails or is interrupted leaves no trace in the data).
 *
 * Job rows are written with single autocommit statements on a pooled connection, not the write
 * connection: an ingest holds the write connection for its whole transaction, and its progress
 * must be visible while it runs. DuckDB keeps the two apart (different tables, no conflicts).
 */
import crypto from 'node:crypto';
import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import type { Principal } from '../auth/principal';
import type { DriftDb } from '../db/client';
import { asStorage, type Storage } from '../db/storage';
import { ingestJobs, ingestOutcomes, type IngestJobStatus } from '../db/schema';
import { asDriftError, DriftError, isUnavailable } from '../errors';
import { BundleError, type Problem } from '../ingest/errors';
import type { IngestResult } from '../ingest/ingest';
import { removeDir } from './extract';

export type JobPhase = 'queued' | 'reading' | 'diagnosing' | 'writing' | 'aggregating' | 'committing' | 'done' | 'failed';

export interface JobProgress {
  phase: JobPhase;
  /** Rows read or written so far, when the ingest has said. */
  rows: number | null;
  message: string;
}

export interface IngestJob {
  id: string;
  lab: string;
  dataset: string;
  version: string;
  keyId: number | null;
  status: IngestJobStatus;
  replace: boolean;
  dryRun: boolean;
  progress: JobProgress;
  result: IngestResult | null;
  problems: Problem[];
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface NewJob {
  lab: string;
  dataset: string;
  version: string;
  keyId: number | null;
  replace: boolean;
  dryRun: boolean;
  /** The bundle folder (holding manifest.json). */
  bundleDir: string;
  /** The folder removed when the job ends (the unpacked upload); defaults to bundleDir. */
  workDir?: string;
}

export interface JobServiceOptions {
  /** Least time between two progress writes of a running job, in ms. */
  progressIntervalMs?: number;
}

export const INTERRUPTED = 'interrupted by a restart of the server; nothing of it was written, upload the bundle again';
export const ORPHANED = 'the replica that took this upload stopped before finishing it; nothing of it was written, upload the bundle again';
const INTERNAL = 'internal error; the server log has the details';

/** Whether the principal may see a lab's jobs: an admin, or any key of that lab. */
export function canSeeJob(principal: Principal, job: { lab: string }): boolean {
  return principal.kind === 'key' && (principal.role === 'admin' || principal.lab === job.lab);
}

/** The last progress message of a job that succeeded. */
function doneMessage(result: IngestResult): string {
  return result.status === 'validated'
    ? 'every check passed; dry run, nothing was written'
    : `${result.status}: ${result.observations} observations`;
}

/** What a progress message of `ingestBundle` says, as a phase and a row count. */
export function progressOf(message: string, previous: JobProgress): JobProgress {
  const text = message.trim();
  const phase: JobPhase = /^problems found/.test(text)
    ? 'diagnosing'
    : previous.phase === 'diagnosing'
      ? 'diagnosing'
      : /^(writing|removing)/.test(text)
        ? 'writing'
        : /^aggregating/.test(text)
          ? 'aggregating'
          : /^committing/.test(text)
            ? 'committing'
            : previous.phase === 'queued'
              ? 'reading'
              : previous.phase;
  const count = /([\d,]+) (rows|observations)/.exec(text);
  const rows = count ? Number(count[1]!.replace(/,/g, '')) : previous.rows;
  return { phase, rows, message: text };
}

const iso = (v: Date | string | null): string | null =>
  v === null ? null : v instanceof Date ? v.toISOString() : new Date(`${String(v).replace(' ', 'T')}Z`).toISOString();

type Row = typeof ingestJobs.$inferSelect;

function toJob(r: Row): IngestJob {
  return {
    id: r.id,
    lab: r.lab,
    dataset: r.dataset,
    version: r.version,
    keyId: r.keyId,
    status: r.status,
    replace: r.replace,
    dryRun: r.dryRun,
    progress: (r.progress as JobProgress | null) ?? { phase: 'queued', rows: null, message: 'waiting for earlier jobs' },
    result: (r.result as IngestResult | null) ?? null,
    problems: (r.problems as Problem[] | null) ?? [],
    error: r.error,
    createdAt: iso(r.createdAt)!,
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
  };
}

/** One queue per storage: jobs of every JobService on it run one after another. */
const queues = new WeakMap<DriftDb, Promise<unknown>>();

export type JobListener = (job: IngestJob) => void;

/** Cluster mode: how often a job followed over server-sent events is read again, in ms. */
const WATCH_MS = 500;

export class JobService {
  private readonly interval: number;
  private readonly listeners = new Map<string, Set<JobListener>>();
  private readonly watchers = new Map<string, NodeJS.Timeout>();
  /** Jobs of this process that are queued or running. */
  private readonly active = new Set<string>();
  private pending = 0;
  private readonly storage: Storage;

  constructor(source: DriftDb | Storage, opts: JobServiceOptions = {}) {
    this.storage = asStorage(source);
    this.interval = opts.progressIntervalMs ?? 250;
  }

  /** Writes one statement on a pooled connection (see the file comment). */
  private get orm() {
    return this.storage.control;
  }

  /**
   * Marks every job left queued or running by a process that stopped as failed (or as
   * succeeded, when its data committed) and removes its unpacked upload. Embedded mode calls
   * this once at start, before any job is created; cluster mode also calls it periodically, and
   * then only the jobs of replicas that stopped are touched (Storage.isOrphaned).
   */
  async recoverInterrupted(): Promise<number> {
    const candidates = await this.orm
      .select({
        id: ingestJobs.id,
        owner: ingestJobs.owner,
        workDir: ingestJobs.workDir,
        progress: ingestJobs.progress,
        result: ingestOutcomes.result,
      })
      .from(ingestJobs)
      .leftJoin(ingestOutcomes, eq(ingestOutcomes.jobId, ingestJobs.id))
      .where(inArray(ingestJobs.status, ['queued', 'running']));
    const orphaned = new Map<string | null, boolean>();
    const stale: typeof candidates = [];
    for (const job of candidates) {
      // This process' own job that it no longer queues or runs (its last write failed) is stale too.
      if (job.owner !== null && job.owner === this.storage.owner) {
        if (!this.active.has(job.id)) stale.push(job);
        continue;
      }
      if (!orphaned.has(job.owner)) orphaned.set(job.owner, await this.storage.isOrphaned(job.owner));
      if (orphaned.get(job.owner)) stale.push(job);
    }
    const message = this.storage.mode === 'cluster' ? ORPHANED : INTERRUPTED;
    for (const job of stale) {
      const before = (job.progress as JobProgress | null) ?? { phase: 'queued', rows: null, message: '' };
      const result = job.result as IngestResult | null;
      // Its ingest committed before the restart: the data is there, and the job succeeded.
      const patch: Partial<Row> = result
        ? { status: 'succeeded', result, progress: { phase: 'done', rows: result.observations, message: doneMessage(result) } }
        : { status: 'failed', error: message, progress: { ...before, phase: 'failed', message } };
      // Only if still unfinished: another replica may have recovered it meanwhile.
      const [changed] = await this.orm
        .update(ingestJobs)
        .set({ ...patch, finishedAt: new Date(), workDir: null })
        .where(and(eq(ingestJobs.id, job.id), inArray(ingestJobs.status, ['queued', 'running'])))
        .returning();
      if (changed) for (const l of this.listeners.get(job.id) ?? []) l(toJob(changed));
      // The upload folder is on the stopped process' machine; in embedded mode that is this one.
      if (job.workDir && this.storage.mode === 'embedded') await removeDir(job.workDir).catch(() => undefined);
    }
    return stale.length;
  }

  /** Records a queued job and puts it at the end of the database's queue. */
  async create(input: NewJob): Promise<IngestJob> {
    const id = crypto.randomUUID();
    const workDir = input.workDir ?? input.bundleDir;
    const progress: JobProgress = { phase: 'queued', rows: null, message: 'waiting for earlier jobs' };
    // Marked as this process' own before its row exists, so a recovery pass never takes it for stale.
    this.active.add(id);
    const inserting = this.orm
      .insert(ingestJobs)
      .values({
        id,
        lab: input.lab,
        dataset: input.dataset,
        version: input.version,
        keyId: input.keyId,
        status: 'queued',
        replace: input.replace,
        dryRun: input.dryRun,
        progress,
        problems: [],
        workDir,
        owner: this.storage.owner,
        createdAt: new Date(),
      })
      .returning();
    const [row] = await inserting.catch((err: unknown) => {
      this.active.delete(id);
      throw err;
    });
    this.pending++;
    const previous = queues.get(this.storage.db) ?? Promise.resolve();
    const run = previous.then(() => this.run(id, input.bundleDir, workDir, input));
    queues.set(
      this.storage.db,
      run.catch(() => undefined),
    );
    void run.catch((err: unknown) => console.error(`[driftql] ingest job ${id} could not be recorded`, err)).finally(() => this.pending--);
    return toJob(row!);
  }

  async get(id: string): Promise<IngestJob | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.orm.select().from(ingestJobs).where(eq(ingestJobs.id, id));
    return row ? toJob(row) : undefined;
  }

  /** The job if the principal may see it (see `canSeeJob`), else undefined. */
  async getFor(principal: Principal, id: string): Promise<IngestJob | undefined> {
    const job = await this.get(id);
    return job && canSeeJob(principal, job) ? job : undefined;
  }

  /** Jobs newest first, optionally of one lab and/or status. */
  async list(filter: { lab?: string; status?: IngestJobStatus; limit?: number } = {}): Promise<IngestJob[]> {
    const where: SQL[] = [];
    if (filter.lab !== undefined) where.push(eq(ingestJobs.lab, filter.lab));
    if (filter.status !== undefined) where.push(eq(ingestJobs.status, filter.status));
    const rows = await this.orm
      .select()
      .from(ingestJobs)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(ingestJobs.createdAt), desc(ingestJobs.id))
      .limit(filter.limit ?? 100);
    return rows.map(toJob);
  }

  /** Jobs the principal may see, newest first. */
  async listFor(principal: Principal, filter: { status?: IngestJobStatus; limit?: number } = {}): Promise<IngestJob[]> {
    if (principal.kind !== 'key') return [];
    return this.list({ ...filter, lab: principal.role === 'admin' ? undefined : principal.lab });
  }

  /** Changes a job's row and tells its listeners. */
  async update(id: string, patch: Partial<Omit<Row, 'id'>>): Promise<IngestJob | undefined> {
    const [row] = await this.orm.update(ingestJobs).set(patch).where(eq(ingestJobs.id, id)).returning();
    const job = row ? toJob(row) : undefined;
    if (job) for (const l of this.listeners.get(id) ?? []) l(job);
    return job;
  }

  /** Calls `listener` with the job after each change written; returns the unsubscribe. */
  subscribe(id: string, listener: JobListener): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    // In cluster mode the job may run on another replica, whose writes this process does not
    // see: its row is read again every WATCH_MS while someone listens (listeners skip repeats).
    if (this.storage.mode === 'cluster' && !this.watchers.has(id)) {
      const timer = setInterval(() => {
        void this.get(id)
          .then((job) => {
            if (job) for (const l of this.listeners.get(id) ?? []) l(job);
          })
          .catch(() => undefined);
      }, WATCH_MS);
      timer.unref();
      this.watchers.set(id, timer);
    }
    return () => {
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(id);
        clearInterval(this.watchers.get(id));
        this.watchers.delete(id);
      }
    };
  }

  /** Resolves when every job created so far has ended. */
  async idle(): Promise<void> {
    while (this.pending > 0) await (queues.get(this.storage.db) ?? Promise.resolve());
  }

  private async run(id: string, bundleDir: string, workDir: string, input: NewJob): Promise<void> {
    try {
      await this.runClaimed(id, bundleDir, workDir, input);
    } finally {
      this.active.delete(id);
    }
  }

  /** Writes a job's last change, retrying while the catalogue is unreachable (cluster mode). */
  private async finish(id: string, patch: Partial<Omit<Row, 'id'>>): Promise<void> {
    for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
      try {
        await this.update(id, patch);
        return;
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private async runClaimed(id: string, bundleDir: string, workDir: string, input: NewJob): Promise<void> {
    let progress: JobProgress = { phase: 'reading', rows: null, message: 'starting' };
    // Claimed only while still queued: a job another replica took for orphaned is not run.
    let claimed: Row | undefined;
    try {
      [claimed] = await this.orm
        .update(ingestJobs)
        .set({ status: 'running', startedAt: new Date(), progress })
        .where(and(eq(ingestJobs.id, id), eq(ingestJobs.status, 'queued')))
        .returning();
    } catch (err) {
      const known = asDriftError(err);
      const message = known instanceof DriftError ? known.message : INTERNAL;
      await removeDir(workDir).catch(() => undefined);
      await this.finish(id, {
        status: 'failed',
        error: message,
        progress: { ...progress, phase: 'failed', message },
        finishedAt: new Date(),
        workDir: null,
      });
      return;
    }
    if (!claimed) {
      await removeDir(workDir).catch(() => undefined);
      return;
    }
    for (const l of this.listeners.get(id) ?? []) l(toJob(claimed));
    // Progress is written at most every `interval` ms; the latest message always lands.
    let lastWrite = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let writing: Promise<unknown> = Promise.resolve();
    const flush = () => {
      timer = undefined;
      lastWrite = Date.now();
      const snapshot = progress;
      writing = writing.then(() => this.update(id, { progress: snapshot })).catch(() => undefined);
    };
    const onProgress = (message: string) => {
      progress = progressOf(message, progress);
      if (timer) return;
      const wait = this.interval - (Date.now() - lastWrite);
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    };
    let patch: Partial<Row>;
    try {
      const result = await this.storage.ingest(bundleDir, {
        replace: input.replace,
        dryRun: input.dryRun,
        progress: onProgress,
        // The outcome is written by the ingest's own transaction, so that a crash after the
        // commit cannot leave visible data under a job that says it failed (see recoverInterrupted).
        jobId: id,
        onCommit: async () => {
          clearTimeout(timer);
          timer = undefined;
          progress = { ...progress, phase: 'committing', message: 'committing' };
          await writing;
          await this.update(id, { progress });
        },
      });
      patch = { status: 'succeeded', result, progress: { phase: 'done', rows: result.observations, message: doneMessage(result) } };
    } catch (thrown) {
      const err = asDriftError(thrown);
      const problems = err instanceof BundleError ? err.problems : [];
      const known = err instanceof DriftError;
      if (!known) console.error(`[driftql] ingest job ${id} failed`, err);
      const error = known ? err.message : INTERNAL;
      patch = {
        status: 'failed',
        problems,
        error,
        progress: { ...progress, phase: 'failed', message: known ? error.split('\n')[0]! : INTERNAL },
      };
    } finally {
      clearTimeout(timer);
      await writing;
      await removeDir(workDir).catch(() => undefined);
    }
    await this.finish(id, { ...patch, finishedAt: new Date(), workDir: null });
  }
}
