/**
 * Analytic queries: plain request objects in, plain rows out. Arguments arrive validated (the
 * bounds are declared on the GraphQL argument types); this layer selects runs, loads their
 * checkpoint values and hands them to the pure functions of src/analytics.
 */
import {
  DEFAULT_CONFIDENCE,
  GroupAligner,
  buildTrajectory,
  distributionShiftByStage,
  driftMetrics,
  groupByFactors,
  stageAttribution,
  summariseAttribution,
  type AlignedStage,
  type KindAttribution,
  type StageDrift,
  type TrajectoryPoint,
} from '../analytics';
import type { DriftDb } from '../db/client';
import { STANCES, type DriftEndpoint, type GroupFactor, type StageKind, type Stance } from '../domain';
import { UserInputError } from '../errors';
import type { ResultCache } from './cache';
import type { Scope } from '../auth/principal';
import type { CatalogService, RunSelector, ScopedCatalog } from './catalog.service';
import { loadCheckpoints, pathsFor, type RunCheckpoints } from './checkpoints';
import { LIMITS } from './limits';
import { assertKnown } from './suggest';
import { yielder } from './yielder';

export interface Selection {
  runIds?: string[] | null;
  runFilter?: RunSelector | null;
  topics?: string[] | null;
  stances?: Stance[] | null;
  confidence?: number | null;
}

export interface TrajectoryRequest extends Selection {
  maxPoints?: number | null;
  emaAlpha?: number | null;
}

export interface TrajectoryResult {
  runId: string;
  runKey: string;
  topic: string;
  stance: Stance;
  points: (TrajectoryPoint & { stageKind: StageKind })[];
}

export interface DriftRow extends StageDrift {
  runId: string;
  runKey: string;
  topic: string;
  stance: Stance;
  stageKind: StageKind;
}

export interface AttributionRow {
  runId: string;
  runKey: string;
  topic: string;
  stance: Stance;
  totalDelta: number;
  stages: {
    stage: string;
    stageKind: StageKind;
    delta: number;
    netShare: number | null;
    pathLength: number;
    pathShare: number | null;
    distributionShift: number | null;
  }[];
}

export interface GroupedRequest extends Selection {
  groupBy: GroupFactor[];
  gridPoints?: number | null;
  /** Stage kind whose algorithm/dataset the ALGORITHM and DATASET factors read (default preference). */
  stageKind?: StageKind | null;
  endpoint?: DriftEndpoint | null;
}

export interface AttributionSummaryRequest extends Selection {
  groupBy: GroupFactor[];
  /** Stage kind whose algorithm/dataset the ALGORITHM and DATASET factors read (default preference). */
  stageKind?: StageKind | null;
}

export interface AttributionSummary {
  levels: { factor: GroupFactor; level: string }[];
  label: string;
  topic: string;
  stance: Stance;
  runs: number;
  kinds: (Omit<KindAttribution, 'kind'> & { stageKind: StageKind })[];
}

export interface GroupedStage extends Omit<AlignedStage, 'kind' | 'points'> {
  index: number;
  stage: string;
  stageKind: StageKind;
  /** The slot's points, with `globalProgress` = index + progress (one axis across the slots). */
  points: (AlignedStage['points'][number] & { globalProgress: number })[];
}

export interface GroupedTrajectory {
  levels: { factor: GroupFactor; level: string }[];
  label: string;
  topic: string;
  stance: Stance;
  runIds: string[];
  runKeys: string[];
  labs: string[];
  stages: GroupedStage[];
}

export interface LoadedSelection {
  data: RunCheckpoints[];
  stances: Stance[];
  confidence: number;
}

export class AnalysisService {
  constructor(
    private readonly db: DriftDb,
    private readonly catalog: CatalogService,
    private readonly cache: ResultCache,
  ) {}

  /** Run ids named and/or matched by the filter (intersection when both are given), at most maxRuns. */
  private async selectRuns(catalog: ScopedCatalog, sel: Selection, maxRuns: number): Promise<number[]> {
    let ids: number[];
    if (sel.runIds) {
      ids = await catalog.resolveRunIds(sel.runIds);
      if (sel.runFilter) {
        const matching = new Set(await catalog.runIds(sel.runFilter, 'runFilter'));
        ids = ids.filter((id) => matching.has(id));
      }
    } else {
      ids = await catalog.runIds(sel.runFilter ?? {}, 'runFilter');
    }
    if (ids.length > maxRuns) {
      throw new UserInputError(
        `this query selects ${ids.length} runs; it takes at most ${maxRuns}. Narrow the selection with runFilter or runIds`,
        sel.runIds ? 'runIds' : 'runFilter',
      );
    }
    return ids;
  }

  /** The requested topics, checked against the topics that exist (null: all of them). */
  private async topicsOf(catalog: ScopedCatalog, sel: Selection): Promise<string[] | null> {
    if (!sel.topics) return null;
    assertKnown({ one: 'topic', many: 'topics' }, sel.topics, await catalog.topicNames(), 'topics');
    return [...new Set(sel.topics)];
  }

  /** The selection's run ids and topics (null: all), checked as every analytic query checks them. */
  async selection(scope: Scope, sel: Selection, maxRuns: number): Promise<{ runIds: number[]; topics: string[] | null }> {
    const catalog = this.catalog.scoped(scope);
    const topics = await this.topicsOf(catalog, sel);
    return { runIds: await this.selectRuns(catalog, sel, maxRuns), topics };
  }

  /**
   * The selected runs' checkpoints, with the stances and confidence to compute them at. Runs
   * are selected through the scope's catalogue, so nothing outside the scope is ever loaded.
   */
  async load(scope: Scope, sel: Selection, maxRuns: number): Promise<LoadedSelection> {
    const stances = sel.stances ? [...new Set(sel.stances)] : [...STANCES];
    const { runIds, topics } = await this.selection(scope, sel, maxRuns);
    const data = await loadCheckpoints(this.db, this.catalog.scoped(scope), runIds, topics);
    return { data, stances, confidence: sel.confidence ?? DEFAULT_CONFIDENCE };
  }

  /** Iterates run × topic × stance with the stage paths, in a stable order, yielding the event loop now and then. */
  private async *each({ data, stances, confidence }: LoadedSelection) {
    const pause = yielder();
    for (const rc of data) {
      for (const topic of [...rc.topics.keys()].sort()) {
        await pause();
        for (const stance of stances) yield { rc, topic, stance, paths: pathsFor(rc, topic, stance, confidence) };
      }
    }
  }

  trajectories(scope: Scope, req: TrajectoryRequest): Promise<TrajectoryResult[]> {
    return this.cache.get('trajectories', scope.key, req, () => this.computeTrajectories(scope, req));
  }

  private async computeTrajectories(scope: Scope, req: TrajectoryRequest): Promise<TrajectoryResult[]> {
    const loaded = await this.load(scope, req, LIMITS.trajectoryRuns);
    const out: TrajectoryResult[] = [];
    for await (const { rc, topic, stance, paths } of this.each(loaded)) {
      const points = buildTrajectory(paths, rc.offsets, { emaAlpha: req.emaAlpha, maxPoints: req.maxPoints });
      out.push({
        runId: String(rc.run.id),
        runKey: rc.run.key,
        topic,
        stance,
        // The points are this call's own: they gain the API's name for their kind in place (a
        // spread copy of every point cost a tenth of a second per 100 runs).
        points: points.map((p) => Object.assign(p, { stageKind: p.kind })),
      });
    }
    return out;
  }

  driftMetrics(scope: Scope, req: Selection & { endpoint?: DriftEndpoint | null }): Promise<DriftRow[]> {
    return this.cache.get('driftMetrics', scope.key, req, () => this.computeDriftMetrics(scope, req));
  }

  private async computeDriftMetrics(scope: Scope, req: Selection & { endpoint?: DriftEndpoint | null }): Promise<DriftRow[]> {
    const loaded = await this.load(scope, req, LIMITS.analyticRuns);
    const out: DriftRow[] = [];
    for await (const { rc, topic, stance, paths } of this.each(loaded)) {
      for (const d of driftMetrics(paths, req.endpoint ?? 'LAST')) {
        out.push({ ...d, runId: String(rc.run.id), runKey: rc.run.key, topic, stance, stageKind: d.kind });
      }
    }
    return out;
  }

  stageAttribution(scope: Scope, req: Selection): Promise<AttributionRow[]> {
    return this.cache.get('stageAttribution', scope.key, req, () => this.computeStageAttribution(scope, req));
  }

  private async computeStageAttribution(scope: Scope, req: Selection): Promise<AttributionRow[]> {
    const pause = yielder();
    const { data, stances, confidence } = await this.load(scope, req, LIMITS.analyticRuns);
    const out: AttributionRow[] = [];
    for (const rc of data) {
      for (const topic of [...rc.topics.keys()].sort()) {
        await pause();
        // distributionShift needs every stance's deltas, whichever stances were asked for.
        const all = new Map(STANCES.map((s) => [s, stageAttribution(pathsFor(rc, topic, s, confidence))]));
        const shift = distributionShiftByStage([...all.values()]);
        for (const stance of stances) {
          const a = all.get(stance)!;
          out.push({
            runId: String(rc.run.id),
            runKey: rc.run.key,
            topic,
            stance,
            totalDelta: a.totalDelta,
            stages: a.stages.map((s) => ({
              stage: s.stage,
              stageKind: s.kind,
              delta: s.delta,
              netShare: s.netShare,
              pathLength: s.pathLength,
              pathShare: s.pathShare,
              distributionShift: shift.get(s.stage) ?? null,
            })),
          });
        }
      }
    }
    return out;
  }

  groupedTrajectories(scope: Scope, req: GroupedRequest): Promise<GroupedTrajectory[]> {
    return this.cache.get('groupedTrajectories', scope.key, req, () => this.computeGroupedTrajectories(scope, req));
  }

  /**
   * The cells of a grouped query: each group × topic (of its members) × stance, with the members
   * that have data for the topic, in a stable order.
   */
  private async *groupCells(scope: Scope, req: Selection & { groupBy: GroupFactor[]; stageKind?: StageKind | null }) {
    const kind = req.stageKind ?? 'preference';
    const { data, stances, confidence } = await this.load(scope, req, LIMITS.analyticRuns);
    const runs = data.map((rc) => ({ ...rc, model: rc.run.model, lab: rc.run.lab }));
    const { groups } = groupByFactors(runs, [...new Set(req.groupBy)], kind);
    for (const g of groups) {
      const label = g.levels.map((l) => `${l.factor}=${l.level}`).join(', ') || 'all runs';
      const topics = [...new Set(g.members.flatMap((rc) => [...rc.topics.keys()]))].sort();
      for (const topic of topics) {
        const members = g.members.filter((rc) => rc.topics.has(topic));
        for (const stance of stances) yield { levels: g.levels, label, topic, stance, members, confidence };
      }
    }
  }

  private async computeGroupedTrajectories(scope: Scope, req: GroupedRequest): Promise<GroupedTrajectory[]> {
    const pause = yielder();
    const gridPoints = req.gridPoints ?? 50;
    const out: GroupedTrajectory[] = [];
    for await (const { levels, label, topic, stance, members, confidence } of this.groupCells(scope, req)) {
      const aligner = new GroupAligner(gridPoints, req.endpoint ?? 'LAST');
      for (const rc of members) {
        aligner.add({ stages: rc.stages, paths: pathsFor(rc, topic, stance, confidence) });
        await pause();
      }
      const aligned = aligner.finish(confidence);
      out.push({
        levels,
        label,
        topic,
        stance,
        runIds: members.map((rc) => String(rc.run.id)),
        runKeys: members.map((rc) => rc.run.key),
        labs: [...new Set(members.map((rc) => rc.run.lab))].sort(),
        stages: aligned.map(({ kind: stageKind, points, ...slot }, index) => ({
          ...slot,
          points: points.map((p) => ({ ...p, globalProgress: index + p.progress })),
          index,
          stage: slot.stageNames[0]!,
          stageKind,
        })),
      });
    }
    return out;
  }

  attributionSummary(scope: Scope, req: AttributionSummaryRequest): Promise<AttributionSummary[]> {
    return this.cache.get('attributionSummary', scope.key, req, () => this.computeAttributionSummary(scope, req));
  }

  private async computeAttributionSummary(scope: Scope, req: AttributionSummaryRequest): Promise<AttributionSummary[]> {
    const pause = yielder();
    const out: AttributionSummary[] = [];
    for await (const { levels, label, topic, stance, members, confidence } of this.groupCells(scope, req)) {
      const perRun = [];
      for (const rc of members) {
        perRun.push(stageAttribution(pathsFor(rc, topic, stance, confidence)));
        await pause();
      }
      const kinds = summariseAttribution(perRun, confidence).map(({ kind, ...k }) => ({ ...k, stageKind: kind }));
      out.push({ levels, label, topic, stance, runs: members.length, kinds });
    }
    return out;
  }
}
