/**
 * Catalogue reads: datasets, runs (filtered, paged), stages, topics. Every read goes through a
 * `ScopedCatalog` for the caller's scope (`catalog.scoped(scope)`), which sees only the datasets
 * the scope allows: that is the one place where private data is kept from other labs, and every
 * analytic query selects its runs through it.
 */
import { assertKnown } from './suggest';
import { asc, eq, sql } from 'drizzle-orm';
import type { DriftDb } from '../db/client';
import { datasets, labs, runs, stages } from '../db/schema';
import { groupByFactors, stageSlots } from '../analytics';
import type { DatasetVersions, GroupFactor, StageKind, Visibility } from '../domain';
import type { Scope } from '../auth/principal';
import { NotFoundError, UserInputError } from '../errors';

export interface RunSelector {
  lab?: string[];
  dataset?: string[];
  model?: string[];
  algorithm?: string[];
  stageDataset?: string[];
  stageKind?: StageKind[];
  key?: string[];
  /** Dataset versions to read; naming any reads those instead of only the latest. */
  datasetVersion?: string[];
  /** LATEST (default): each (lab, dataset)'s latest visible version only; ALL: every version. */
  versions?: DatasetVersions;
}

/**
 * Orders dataset versions: numerically where they hold numbers ("1.10" after "1.9", "10" after
 * "9"), else as text. Ties (which cannot happen within one lab and dataset) fall to ingest order.
 */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
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
  visibility: Visibility;
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
  visibility: Visibility;
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
  visibility: datasets.visibility,
};

interface Snapshot {
  version: number;
  runs: RunRow[];
  stages: Map<number, StageRow[]>;
  /** Stage id -> largest evaluated step (over every topic). */
  lastStep: Map<number, number>;
  /** Dataset id -> the names of its topics. */
  topicsByDataset: Map<number, string[]>;
  /** Run id -> its evaluated checkpoints (distinct stage and step, over every topic). */
  checkpointsPerRun: Map<number, number>;
  /** Views of this snapshot per scope key. */
  views: Map<string, View>;
}

/** What one scope sees of a snapshot. */
interface View {
  runs: RunRow[];
  byId: Map<number, RunRow>;
  byKey: Map<string, number[]>;
  topicNames: string[];
  /** Ids of the datasets that are the latest visible version of their (lab, name). */
  latest: Set<number>;
}

export class CatalogService {
  private snapshot: Promise<Snapshot> | null = null;
  private snapshotVersion = -1;

  constructor(private readonly db: DriftDb) {}

  /**
   * Runs and stages held in memory, reloaded when the data changes: they are small (thousands
   * of rows even across labs) and every analytic query needs them.
   */
  private load(): Promise<Snapshot> {
    const version = this.db.changeCount;
    if (!this.snapshot || this.snapshotVersion !== version) {
      this.snapshotVersion = version;
      this.snapshot = (async () => {
        const [runRows, stageRows, lastSteps, topicRows, checkpointRows] = await Promise.all([
          this.db.orm
            .select(runColumns)
            .from(runs)
            .innerJoin(datasets, eq(datasets.id, runs.datasetId))
            .innerJoin(labs, eq(labs.id, datasets.labId))
            .orderBy(asc(runs.id)),
          this.db.orm.select().from(stages).orderBy(asc(stages.runId), asc(stages.ordinal)),
          this.db.query('SELECT stage_id, max(step) AS last FROM checkpoint_values GROUP BY stage_id'),
          this.db.query(
            'SELECT DISTINCT p.dataset_id, t.name FROM prompts p JOIN topics t ON t.id = p.topic_id ORDER BY p.dataset_id, t.name',
          ),
          this.db.query(
            'SELECT run_id, count(*) AS n FROM (SELECT DISTINCT run_id, stage_id, step FROM checkpoint_values) GROUP BY run_id',
          ),
        ]);
        const all = runRows.map((r) => this.mapRun(r));
        const topicsByDataset = new Map<number, string[]>();
        for (const r of topicRows) {
          const id = Number(r.dataset_id);
          topicsByDataset.set(id, [...(topicsByDataset.get(id) ?? []), String(r.name)]);
        }
        const stageMap = new Map<number, StageRow[]>();
        for (const st of stageRows) {
          const row: StageRow = { ...st, hyperparameters: parseJson(st.hyperparameters) };
          const list = stageMap.get(st.runId) ?? [];
          list.push(row);
          stageMap.set(st.runId, list);
        }
        return {
          version,
          runs: all,
          stages: stageMap,
          lastStep: new Map(lastSteps.map((r) => [Number(r.stage_id), Number(r.last)])),
          topicsByDataset,
          checkpointsPerRun: new Map(checkpointRows.map((r) => [Number(r.run_id), Number(r.n)])),
          views: new Map(),
        };
      })();
      this.snapshot.catch(() => {
        this.snapshot = null;
      });
    }
    return this.snapshot;
  }

  private mapRun(r: { metadata: unknown } & Omit<RunRow, 'metadata'>): RunRow {
    const meta = parseJson(r.metadata);
    return { ...r, metadata: meta && Object.keys(meta).length ? meta : null };
  }

  /** The catalogue as `scope` sees it; the only way to read it. */
  scoped(scope: Scope): ScopedCatalog {
    return new ScopedCatalog(this.db, scope, () => this.load());
  }
}

/** The visible part of a snapshot for one scope, computed once per snapshot and scope. */
function viewOf(snap: Snapshot, scope: Scope): View {
  let view = snap.views.get(scope.key);
  if (!view) {
    const runs = snap.runs.filter((r) => scope.canSee(r));
    const byKey = new Map<string, number[]>();
    for (const r of runs) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.id]);
    const topicNames = new Set<string>();
    for (const id of new Set(runs.map((r) => r.datasetId))) for (const t of snap.topicsByDataset.get(id) ?? []) topicNames.add(t);
    // The latest version among those this scope sees: a private newer version of another lab's
    // dataset does not exist here, so it cannot hide the public one.
    const newest = new Map<string, RunRow>();
    for (const r of runs) {
      const key = JSON.stringify([r.lab, r.datasetName]);
      const best = newest.get(key);
      const order = best ? compareVersions(r.datasetVersion, best.datasetVersion) || r.datasetId - best.datasetId : 1;
      if (order > 0) newest.set(key, r);
    }
    const latest = new Set([...newest.values()].map((r) => r.datasetId));
    view = { runs, byId: new Map(runs.map((r) => [r.id, r])), byKey, topicNames: [...topicNames].sort(), latest };
    snap.views.set(scope.key, view);
  }
  return view;
}

/**
 * The catalogue reads of one scope. Datasets, runs, stages and topics outside the scope do not
 * exist here: an id of a private run of another lab is as unknown as an id never issued.
 */
export class ScopedCatalog {
  constructor(
    private readonly db: DriftDb,
    readonly scope: Scope,
    private readonly snapshot: () => Promise<Snapshot>,
  ) {}

  private async view(): Promise<{ snap: Snapshot; view: View }> {
    const snap = await this.snapshot();
    return { snap, view: viewOf(snap, this.scope) };
  }

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
    return rows.filter((r) => this.scope.canSee(r)).map((r) => ({ ...r, ingestedAt: r.ingestedAt.toISOString() }));
  }

  /** The selector's semantics: values within a field are alternatives, fields combine with AND. */
  private static matches(run: RunRow, runStages: readonly StageRow[], sel: RunSelector): boolean {
    const any = (list: readonly string[] | undefined, v: string | null) => !list?.length || (v !== null && list.includes(v));
    const anyStage = (list: readonly string[] | undefined, pick: (s: StageRow) => string | null) =>
      !list?.length ||
      runStages.some((s) => {
        const v = pick(s);
        return v !== null && list.includes(v);
      });
    return (
      any(sel.lab, run.lab) &&
      any(sel.dataset, run.datasetName) &&
      any(sel.datasetVersion, run.datasetVersion) &&
      any(sel.model, run.model) &&
      any(sel.key, run.key) &&
      anyStage(sel.algorithm, (s) => s.algorithm) &&
      anyStage(sel.stageDataset, (s) => s.dataset) &&
      anyStage(sel.stageKind, (s) => s.kind)
    );
  }

  /** Filter values this scope's runs do not have are refused, with the nearest known ones. */
  private static checkValues(snap: Snapshot, view: View, sel: RunSelector, argumentName: string): void {
    const runLevel: [keyof RunSelector, string, string, (r: RunRow) => string][] = [
      ['lab', 'lab', 'labs', (r) => r.lab],
      ['dataset', 'dataset', 'datasets', (r) => r.datasetName],
      ['datasetVersion', 'dataset version', 'dataset versions', (r) => r.datasetVersion],
      ['model', 'model', 'models', (r) => r.model],
      ['key', 'run key', 'run keys', (r) => r.key],
    ];
    // One value or a list (the cost estimate sees arguments before GraphQL has made them lists).
    const listOf = (v: unknown): string[] | undefined => (v === undefined || v === null ? undefined : ([] as string[]).concat(v as string));
    for (const [field, one, many, pick] of runLevel) {
      const values = listOf(sel[field]);
      if (values?.length) assertKnown({ one, many }, values, new Set(view.runs.map(pick)), `${argumentName}.${field}`);
    }
    const stageLevel: [keyof RunSelector, string, string, (s: StageRow) => string | null][] = [
      ['algorithm', 'algorithm', 'algorithms', (s) => s.algorithm],
      ['stageDataset', 'stage dataset', 'stage datasets', (s) => s.dataset],
    ];
    for (const [field, one, many, pick] of stageLevel) {
      const values = listOf(sel[field]);
      if (!values?.length) continue;
      const known = new Set<string>();
      for (const r of view.runs) for (const st of snap.stages.get(r.id) ?? []) if (pick(st) !== null) known.add(pick(st)!);
      assertKnown({ one, many }, values, known, `${argumentName}.${field}`);
    }
  }

  private async select(sel: RunSelector, argumentName: string): Promise<RunRow[]> {
    const { snap, view } = await this.view();
    ScopedCatalog.checkValues(snap, view, sel, argumentName);
    const everyVersion = sel.versions === 'ALL' || !!sel.datasetVersion?.length;
    return view.runs.filter(
      (r) => (everyVersion || view.latest.has(r.datasetId)) && ScopedCatalog.matches(r, snap.stages.get(r.id) ?? [], sel),
    );
  }

  /** How many datasets this scope sees (from memory; every dataset has runs). */
  async datasetCount(): Promise<number> {
    return new Set((await this.view()).view.runs.map((r) => r.datasetId)).size;
  }

  /** Whether the dataset is the latest version of its (lab, name) that this scope sees. */
  async isLatest(datasetId: number): Promise<boolean> {
    return (await this.view()).view.latest.has(datasetId);
  }

  /** Runs matching the selector, ordered by id, one page. */
  async runs(sel: RunSelector, offset: number, limit: number, argumentName = 'filter'): Promise<{ rows: RunRow[]; total: number }> {
    const all = await this.select(sel, argumentName);
    return { rows: all.slice(offset, offset + limit), total: all.length };
  }

  /** Ids of every run matching the selector. */
  async runIds(sel: RunSelector, argumentName = 'filter'): Promise<number[]> {
    return (await this.select(sel, argumentName)).map((r) => r.id);
  }

  async runsById(ids: readonly number[]): Promise<RunRow[]> {
    const { view } = await this.view();
    return ids.map((id) => view.byId.get(id)).filter((r): r is RunRow => r !== undefined);
  }

  /**
   * Resolves what clients pass as run ids: the numeric `Run.id` (of any version), or a manifest
   * run key when it names exactly one run among the latest versions (else among all). Unknown
   * ids fail with NOT_FOUND naming them.
   */
  async resolveRunIds(refs: readonly string[]): Promise<number[]> {
    const { view: snap } = await this.view();
    const out: number[] = [];
    const missing: string[] = [];
    for (const ref of refs) {
      if (/^\d+$/.test(ref) && snap.byId.has(Number(ref))) {
        out.push(Number(ref));
        continue;
      }
      const all = snap.byKey.get(ref);
      // A key kept across versions names the run of the latest one.
      const latest = all?.filter((id) => snap.latest.has(snap.byId.get(id)!.datasetId));
      const ids = latest?.length ? latest : all;
      if (!ids) missing.push(ref);
      else if (ids.length > 1) {
        throw new UserInputError(
          `run key "${ref}" is ambiguous: it names runs ${ids.join(', ')} in different datasets; pass one of those ids`,
          'runIds',
        );
      } else out.push(ids[0]!);
    }
    if (missing.length) {
      throw new NotFoundError(`no run with id ${missing.map((m) => `"${m}"`).join(', ')}; list runs with the runs query`, 'runIds');
    }
    return [...new Set(out)];
  }

  async stagesOf(runIds: readonly number[]): Promise<StageRow[]> {
    const { snap, view } = await this.view();
    return runIds.filter((id) => view.byId.has(id)).flatMap((id) => snap.stages.get(id) ?? []);
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

  /**
   * The largest number of declared stages and of evaluated checkpoints among the given runs
   * (invisible ids count as nothing): what bounds the size of their analytic answers.
   */
  async shapeOf(runIds: readonly number[]): Promise<{ maxStages: number; maxCheckpoints: number }> {
    const { snap, view } = await this.view();
    let maxStages = 0;
    let maxCheckpoints = 0;
    for (const id of runIds) {
      if (!view.byId.has(id)) continue;
      maxStages = Math.max(maxStages, snap.stages.get(id)?.length ?? 0);
      maxCheckpoints = Math.max(maxCheckpoints, snap.checkpointsPerRun.get(id) ?? 0);
    }
    return { maxStages, maxCheckpoints };
  }

  /**
   * How many groups `factors` make of the given runs, and how many aligned stage slots they
   * span (analytics `groupByFactors` and `stageSlots`): the shape of a grouped answer.
   */
  async groupShapeOf(
    runIds: readonly number[],
    factors: readonly GroupFactor[],
    kind: StageKind,
  ): Promise<{ groups: number; slots: number }> {
    const { snap, view } = await this.view();
    const runs = runIds.flatMap((id) => {
      const run = view.byId.get(id);
      return run ? [{ model: run.model, lab: run.lab, stages: snap.stages.get(id) ?? [] }] : [];
    });
    const slots = new Set<string>();
    for (const r of runs) for (const slot of stageSlots(r.stages).values()) slots.add(`${slot.kind}#${slot.occurrenceFromEnd}`);
    return { groups: groupByFactors(runs, factors, kind).groups.length, slots: slots.size };
  }

  /** Names of the topics of the visible datasets (small; used to validate topic arguments). */
  async topicNames(): Promise<string[]> {
    return (await this.view()).view.topicNames;
  }

  /** Largest evaluated step of each stage id, over every topic (T_k when totalSteps is missing). */
  async lastSteps(): Promise<Map<number, number>> {
    return (await this.view()).snap.lastStep;
  }

  async topics(sel: RunSelector | null): Promise<{ name: string; promptCount: number; runCount: number }[]> {
    const ids = await this.runIds(sel ?? {});
    if (ids.length === 0) return [];
    const rows = await this.db.query(
      `SELECT t.name, count(DISTINCT p.id) AS prompt_count, count(DISTINCT c.run_id) AS run_count
       FROM topics t JOIN checkpoint_values c ON c.topic_id = t.id JOIN runs r ON r.id = c.run_id
       JOIN prompts p ON p.topic_id = t.id AND p.dataset_id = r.dataset_id
       WHERE c.run_id = ANY($1)
       GROUP BY t.name ORDER BY t.name`,
      [ids],
    );
    return rows.map((r) => ({ name: String(r.name), promptCount: Number(r.prompt_count), runCount: Number(r.run_count) }));
  }
}
