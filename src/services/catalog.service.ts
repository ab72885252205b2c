/** Catalogue reads: datasets, runs (filtered, paged), stages, topics. */
import { and, asc, eq, exists, inArray, sql, type SQL } from 'drizzle-orm';
import type { DriftDb } from '../db/client';
import { datasets, labs, runs, stages } from '../db/schema';
import type { StageKind } from '../domain';
import { NotFoundError, UserInputError } from '../errors';

export interface RunSelector {
  lab?: string[];
  dataset?: string[];
  model?: string[];
  algorithm?: string[];
  stageDataset?: string[];
  stageKind?: StageKind[];
  key?: string[];
}

export interface DatasetRow {
  id: number;
  name: string;
  lab: string;
  version: string;
  description: string | null;
  license: string | null;
  promptSet: string | null;
  judge: string | null;
  visibility: string;
  contentHash: string;
  ingestedAt: string;
  observationCount: number;
  runCount: number;
}

export interface RunRow {
  id: number;
  key: string;
  model: string;
  seed: number | null;
  metadata: Record<string, unknown> | null;
  datasetId: number;
  datasetName: string;
  datasetVersion: string;
  lab: string;
}

export interface StageRow {
  id: number;
  runId: number;
  ordinal: number;
  name: string;
  kind: StageKind;
  algorithm: string | null;
  dataset: string | null;
  totalSteps: number | null;
  hyperparameters: Record<string, unknown> | null;
}

function parseJson(v: unknown): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return JSON.parse(v) as Record<string, unknown>;
  return v as Record<string, unknown>;
}

const runColumns = {
  id: runs.id,
  key: runs.key,
  model: runs.model,
  seed: runs.seed,
  metadata: runs.metadata,
  datasetId: datasets.id,
  datasetName: datasets.name,
  datasetVersion: datasets.version,
  lab: labs.name,
};

export class CatalogService {
  constructor(private readonly db: DriftDb) {}

  async datasets(): Promise<DatasetRow[]> {
    const rows = await this.db.orm
      .select({
        id: datasets.id,
        name: datasets.name,
        lab: labs.name,
        version: datasets.version,
        description: datasets.description,
        license: datasets.license,
        promptSet: datasets.promptSet,
        judge: datasets.judge,
        visibility: datasets.visibility,
        contentHash: datasets.contentHash,
        ingestedAt: datasets.ingestedAt,
        observationCount: datasets.observationCount,
        runCount: sql<number>`(SELECT count(*) FROM runs r WHERE r.dataset_id = ${datasets.id})`.mapWith(Number),
      })
      .from(datasets)
      .innerJoin(labs, eq(labs.id, datasets.labId))
      .orderBy(asc(labs.name), asc(datasets.name), asc(datasets.version));
    return rows.map((r) => ({ ...r, ingestedAt: new Date(r.ingestedAt).toISOString() }));
  }

  private where(sel: RunSelector): SQL | undefined {
    const conds: SQL[] = [];
    const stageCond = (c: SQL) =>
      exists(this.db.orm.select({ one: sql`1` }).from(stages).where(and(eq(stages.runId, runs.id), c)));
    if (sel.lab?.length) conds.push(inArray(labs.name, sel.lab));
    if (sel.dataset?.length) conds.push(inArray(datasets.name, sel.dataset));
    if (sel.model?.length) conds.push(inArray(runs.model, sel.model));
    if (sel.key?.length) conds.push(inArray(runs.key, sel.key));
    if (sel.algorithm?.length) conds.push(stageCond(inArray(stages.algorithm, sel.algorithm)));
    if (sel.stageDataset?.length) conds.push(stageCond(inArray(stages.dataset, sel.stageDataset)));
    if (sel.stageKind?.length) conds.push(stageCond(inArray(stages.kind, sel.stageKind)));
    return conds.length ? and(...conds) : undefined;
  }

  private mapRun(r: { metadata: unknown } & Omit<RunRow, 'metadata'>): RunRow {
    const meta = parseJson(r.metadata);
    return { ...r, metadata: meta && Object.keys(meta).length ? meta : null };
  }

  /** Runs matching the selector, ordered by id, one page. */
  async runs(sel: RunSelector, offset: number, limit: number): Promise<{ rows: RunRow[]; total: number }> {
    const where = this.where(sel);
    const base = () => this.db.orm.select(runColumns).from(runs).innerJoin(datasets, eq(datasets.id, runs.datasetId)).innerJoin(labs, eq(labs.id, datasets.labId));
    const [rows, countRows] = await Promise.all([
      base().where(where).orderBy(asc(runs.id)).limit(limit).offset(offset),
      this.db.orm
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(runs)
        .innerJoin(datasets, eq(datasets.id, runs.datasetId))
        .innerJoin(labs, eq(labs.id, datasets.labId))
        .where(where),
    ]);
    return { rows: rows.map((r) => this.mapRun(r)), total: countRows[0]?.n ?? 0 };
  }

  /** Ids of every run matching the selector. */
  async runIds(sel: RunSelector): Promise<number[]> {
    const rows = await this.db.orm
      .select({ id: runs.id })
      .from(runs)
      .innerJoin(datasets, eq(datasets.id, runs.datasetId))
      .innerJoin(labs, eq(labs.id, datasets.labId))
      .where(this.where(sel))
      .orderBy(asc(runs.id));
    return rows.map((r) => r.id);
  }

  async runsById(ids: readonly number[]): Promise<RunRow[]> {
    if (!ids.length) return [];
    const rows = await this.db.orm
      .select(runColumns)
      .from(runs)
      .innerJoin(datasets, eq(datasets.id, runs.datasetId))
      .innerJoin(labs, eq(labs.id, datasets.labId))
      .where(inArray(runs.id, [...ids]));
    return rows.map((r) => this.mapRun(r));
  }

  /**
   * Resolves what clients pass as run ids: the numeric `Run.id`, or a manifest run key when it
   * names exactly one run. Unknown ids fail with NOT_FOUND naming them.
   */
  async resolveRunIds(refs: readonly string[]): Promise<number[]> {
    const numeric = refs.filter((r) => /^\d+$/.test(r)).map(Number);
    const byId = new Set((await this.runsById(numeric)).map((r) => r.id));
    const keys = refs.filter((r) => !(/^\d+$/.test(r) && byId.has(Number(r))));
    const byKey = new Map<string, number[]>();
    if (keys.length) {
      const rows = await this.db.orm.select({ id: runs.id, key: runs.key }).from(runs).where(inArray(runs.key, keys));
      for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.id]);
    }
    const out: number[] = [];
    const missing: string[] = [];
    for (const ref of refs) {
      if (/^\d+$/.test(ref) && byId.has(Number(ref))) out.push(Number(ref));
      else {
        const ids = byKey.get(ref);
        if (!ids) missing.push(ref);
        else if (ids.length > 1) {
          throw new UserInputError(`run key "${ref}" is ambiguous: it names runs ${ids.join(', ')} in different datasets; pass one of those ids`, {
            argumentName: 'runIds',
          });
        } else out.push(ids[0] as number);
      }
    }
    if (missing.length) {
      throw new NotFoundError(`no run with id ${missing.map((m) => `"${m}"`).join(', ')}; list runs with the runs query`, {
        runIds: missing,
      });
    }
    return [...new Set(out)];
  }

  async stagesOf(runIds: readonly number[]): Promise<StageRow[]> {
    if (!runIds.length) return [];
    const rows = await this.db.orm
      .select()
      .from(stages)
      .where(inArray(stages.runId, [...runIds]))
      .orderBy(asc(stages.runId), asc(stages.ordinal));
    return rows.map((s) => ({ ...s, kind: s.kind as StageKind, hyperparameters: parseJson(s.hyperparameters) }));
  }

  /** Evaluated steps per stage id. */
  async evaluatedSteps(stageIds: readonly number[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    if (!stageIds.length) return out;
    const rows = await this.db.query(
      `SELECT stage_id, list(DISTINCT step ORDER BY step) AS steps FROM checkpoint_values WHERE stage_id = ANY($1) GROUP BY stage_id`,
      [stageIds as number[]],
    );
    for (const r of rows) out.set(Number(r.stage_id), (r.steps as number[]).map(Number));
    return out;
  }

  async topics(sel: RunSelector | null): Promise<{ name: string; promptCount: number; runCount: number }[]> {
    const ids = sel ? await this.runIds(sel) : null;
    const rows = await this.db.query(
      `SELECT t.name, count(DISTINCT p.id) AS prompt_count, count(DISTINCT c.run_id) AS run_count
       FROM topics t JOIN checkpoint_values c ON c.topic_id = t.id JOIN runs r ON r.id = c.run_id
       JOIN prompts p ON p.topic_id = t.id AND p.dataset_id = r.dataset_id
       ${ids ? 'WHERE c.run_id = ANY($1)' : ''}
       GROUP BY t.name ORDER BY t.name`,
      ids ? [ids] : [],
    );
    return rows.map((r) => ({ name: String(r.name), promptCount: Number(r.prompt_count), runCount: Number(r.run_count) }));
  }
}
