/**
 * Analytic queries: plain request objects in, plain rows out. Resolvers only translate GraphQL
 * arguments into these requests; the math lives in src/analytics.
 */
import {
  DEFAULT_CONFIDENCE,
  aggregateAcrossRuns,
  buildTrajectory,
  distributionShiftByStage,
  interpolateOnGrid,
  progressGrid,
  stageDrift,
  summarise,
  type GridAggregate,
  type Summary,
  driftMetrics,
  stageAttribution,
  type DriftEndpoint,
  type StageDrift,
  type TrajectoryPoint,
} from '../analytics';
import type { DriftDb } from '../db/client';
import { STANCES, type Stance, type StageKind } from '../domain';
import { UserInputError } from '../errors';
import type { CatalogService, RunSelector } from './catalog.service';
import type { ResultCache } from './cache';
import { loadCheckpoints, pathsFor, type RunCheckpoints } from './checkpoints';

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

export const LIMITS = {
  gridPoints: 1000,
  runIdsPerQuery: 1000,
  trajectoryRuns: 200,
  analyticRuns: 5000,
  topics: 200,
};

/** An empty list would select nothing; omitting the argument is how to ask for everything. */
export function checkNotEmpty(list: readonly unknown[] | null | undefined, name: string): void {
  if (list && list.length === 0) {
    throw new UserInputError(`${name} is an empty list, which selects nothing; leave ${name} out to mean all`, name);
  }
}

export function checkConfidence(confidence: number | null | undefined): number {
  const c = confidence ?? DEFAULT_CONFIDENCE;
  // (1 + γ)/2 must stay below 1 in floating point, or the t quantile is infinite.
  if (!(c > 0 && c < 1 && (1 + c) / 2 < 1)) {
    throw new UserInputError(`confidence must lie strictly between 0 and 1, got ${c}; use e.g. 0.95 for 95% intervals`, 'confidence');
  }
  return c;
}

export class AnalysisService {
  constructor(
    private readonly db: DriftDb,
    private readonly catalog: CatalogService,
    private readonly cache: ResultCache,
  ) {}

  /** Run ids named and/or matched by the filter (intersection when both are given). */
  async selectRuns(sel: Selection, maxRuns: number): Promise<number[]> {
    checkNotEmpty(sel.runIds, 'runIds');
    if (sel.runIds && sel.runIds.length > LIMITS.runIdsPerQuery) {
      throw new UserInputError(`runIds takes at most ${LIMITS.runIdsPerQuery} ids; use runFilter to select more runs`, 'runIds');
    }
    let ids: number[];
    if (sel.runIds) {
      ids = await this.catalog.resolveRunIds(sel.runIds);
      if (sel.runFilter) {
        const matching = new Set(await this.catalog.runIds(sel.runFilter));
        ids = ids.filter((id) => matching.has(id));
      }
    } else {
      ids = await this.catalog.runIds(sel.runFilter ?? {});
    }
    if (ids.length > maxRuns) {
      throw new UserInputError(
        `this query selects ${ids.length} runs; it takes at most ${maxRuns}. Narrow the selection with runFilter or runIds`,
        sel.runIds ? 'runIds' : 'runFilter',
      );
    }
    return ids;
  }

  private async topicsOf(sel: Selection): Promise<string[] | null> {
    if (!sel.topics) return null;
    if (sel.topics.length > LIMITS.topics) throw new UserInputError(`topics takes at most ${LIMITS.topics} names`, 'topics');
    const known = new Set(await this.catalog.topicNames());
    const unknown = sel.topics.filter((t) => !known.has(t));
    if (unknown.length) {
      const list = [...known].sort();
      throw new UserInputError(
        `unknown topic${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => `"${t}"`).join(', ')}; known topics: ${list.slice(0, 30).join(', ')}${list.length > 30 ? ', ...' : ''}`,
        'topics',
      );
    }
    return [...new Set(sel.topics)];
  }

  /** The selected runs' checkpoints (for services built on this one). */
  loadSelection(sel: Selection, maxRuns: number): Promise<{ data: RunCheckpoints[]; stances: Stance[]; confidence: number }> {
    return this.load(sel, maxRuns);
  }

  private async load(sel: Selection, maxRuns: number): Promise<{ data: RunCheckpoints[]; stances: Stance[]; confidence: number }> {
    const confidence = checkConfidence(sel.confidence);
    checkNotEmpty(sel.topics, 'topics');
    checkNotEmpty(sel.stances, 'stances');
    const stances = sel.stances?.length ? [...new Set(sel.stances)] : [...STANCES];
    const topics = await this.topicsOf(sel);
    const ids = await this.selectRuns(sel, maxRuns);
    return { data: await loadCheckpoints(this.db, this.catalog, ids, topics), stances, confidence };
  }

  /** Iterates run × topic × stance with the stage paths, in a stable order. */
  private *each(data: RunCheckpoints[], stances: Stance[], confidence: number) {
    for (const rc of data) {
      for (const topic of [...rc.topics.keys()].sort()) {
        for (const stance of stances) yield { rc, topic, stance, paths: pathsFor(rc, topic, stance, confidence) };
      }
    }
  }

  trajectories(req: TrajectoryRequest): Promise<TrajectoryResult[]> {
    return this.cache.get('trajectories', req, () => this.computeTrajectories(req));
  }

  private async computeTrajectories(req: TrajectoryRequest): Promise<TrajectoryResult[]> {
    if (req.maxPoints != null && !(Number.isInteger(req.maxPoints) && req.maxPoints >= 2)) {
      throw new UserInputError(`maxPoints must be an integer of at least 2, got ${req.maxPoints}`, 'maxPoints');
    }
    if (req.emaAlpha != null && !(req.emaAlpha > 0 && req.emaAlpha <= 1)) {
      throw new UserInputError(`smoothing.alpha must lie in (0, 1] (1 = no smoothing), got ${req.emaAlpha}`, 'smoothing');
    }
    const { data, stances, confidence } = await this.load(req, LIMITS.trajectoryRuns);
    const out: TrajectoryResult[] = [];
    for (const { rc, topic, stance, paths } of this.each(data, stances, confidence)) {
      out.push({
        runId: String(rc.run.id),
        runKey: rc.run.key,
        topic,
        stance,
        points: buildTrajectory(paths, { emaAlpha: req.emaAlpha, maxPoints: req.maxPoints, offsets: rc.offsets }).map((p) => ({
          ...p,
          stageKind: p.kind,
        })),
      });
    }
    return out;
  }

  driftMetrics(req: Selection & { endpoint?: DriftEndpoint | null }): Promise<DriftRow[]> {
    return this.cache.get('driftMetrics', req, () => this.computeDriftMetrics(req));
  }

  private async computeDriftMetrics(req: Selection & { endpoint?: DriftEndpoint | null }): Promise<DriftRow[]> {
    const { data, stances, confidence } = await this.load(req, LIMITS.analyticRuns);
    const out: DriftRow[] = [];
    for (const { rc, topic, stance, paths } of this.each(data, stances, confidence)) {
      for (const d of driftMetrics(paths, req.endpoint ?? 'LAST')) {
        out.push({ ...d, runId: String(rc.run.id), runKey: rc.run.key, topic, stance, stageKind: d.kind });
      }
    }
    return out;
  }

  stageAttribution(req: Selection): Promise<AttributionRow[]> {
    return this.cache.get('stageAttribution', req, () => this.computeStageAttribution(req));
  }

  private async computeStageAttribution(req: Selection): Promise<AttributionRow[]> {
    const { data, stances, confidence } = await this.load(req, LIMITS.analyticRuns);
    const out: AttributionRow[] = [];
    for (const rc of data) {
      for (const topic of [...rc.topics.keys()].sort()) {
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

  /** The level of one grouping factor for a run (null when the run has no such stage). */
  factorLevel(rc: RunCheckpoints, factor: GroupFactor, kind: StageKind): string | null {
    const lastOf = (k: StageKind) => [...rc.stages].reverse().find((s) => s.kind === k);
    switch (factor) {
      case 'MODEL':
        return rc.run.model;
      case 'LAB':
        return rc.run.lab;
      case 'SFT_DATASET':
        return lastOf('sft')?.dataset ?? null;
      case 'ALGORITHM':
        return lastOf(kind)?.algorithm ?? null;
      case 'DATASET':
        return lastOf(kind)?.dataset ?? null;
    }
  }

  groupedTrajectories(req: GroupedRequest): Promise<GroupedTrajectory[]> {
    return this.cache.get('groupedTrajectories', req, () => this.computeGroupedTrajectories(req));
  }

  private async computeGroupedTrajectories(req: GroupedRequest): Promise<GroupedTrajectory[]> {
    const gridPoints = req.gridPoints ?? 50;
    if (!(Number.isInteger(gridPoints) && gridPoints >= 2 && gridPoints <= LIMITS.gridPoints)) {
      throw new UserInputError(`gridPoints must be an integer from 2 to ${LIMITS.gridPoints}, got ${gridPoints}`, 'gridPoints');
    }
    const factors = [...new Set(req.groupBy)];
    const kind = req.stageKind ?? 'preference';
    const { data, stances, confidence } = await this.load(req, LIMITS.analyticRuns);
    const grid = progressGrid(gridPoints);

    const groups = new Map<string, { levels: { factor: GroupFactor; level: string }[]; runs: RunCheckpoints[] }>();
    for (const rc of data) {
      const levels = factors.map((factor) => ({ factor, level: this.factorLevel(rc, factor, kind) }));
      if (levels.some((l) => l.level === null)) continue; // the run lacks the stage a factor reads
      const key = JSON.stringify(levels);
      const g = groups.get(key) ?? { levels: levels as { factor: GroupFactor; level: string }[], runs: [] };
      g.runs.push(rc);
      groups.set(key, g);
    }

    const out: GroupedTrajectory[] = [];
    for (const g of [...groups.values()].sort((a, b) => JSON.stringify(a.levels).localeCompare(JSON.stringify(b.levels)))) {
      const topics = [...new Set(g.runs.flatMap((rc) => [...rc.topics.keys()]))].sort();
      for (const topic of topics) {
        for (const stance of stances) {
          // Stage k of the group = the k-th evaluated stage of each run; runs are aligned on progress within it.
          // Stages line up by kind and occurrence (the first sft with the first sft, ...), not by
          // position: a run without a base stage must not put its SFT beside others' base.
          const slots = new Map<
            string,
            { stage: string; kind: StageKind; ordinals: number[]; series: (number | null)[][]; mags: number[]; times: number[] }
          >();
          const members = g.runs.filter((rc) => rc.topics.has(topic));
          for (const rc of members) {
            const seen = new Map<StageKind, number>();
            const slotOf = new Map<string, { key: string; ordinal: number }>();
            rc.stages.forEach((st, ordinal) => {
              const nth = seen.get(st.kind) ?? 0;
              seen.set(st.kind, nth + 1);
              slotOf.set(st.name, { key: `${st.kind}#${nth}`, ordinal });
            });
            for (const path of pathsFor(rc, topic, stance, confidence)) {
              const { key, ordinal } = slotOf.get(path.stage)!;
              let slot = slots.get(key);
              if (!slot) slots.set(key, (slot = { stage: path.stage, kind: path.kind, ordinals: [], series: [], mags: [], times: [] }));
              slot.ordinals.push(ordinal);
              slot.series.push(
                interpolateOnGrid(
                  path.points.map((p) => ({ progress: path.T === 0 ? 0 : p.step / path.T, value: p.value })),
                  gridPoints,
                ),
              );
              if (path.kind !== 'base') {
                const d = stageDrift(path, req.endpoint ?? 'LAST');
                slot.mags.push(d.magnitude);
                slot.times.push(d.driftTime);
              }
            }
          }
          const meanOrdinal = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
          const perStage = [...slots.values()].sort((a, b) => meanOrdinal(a.ordinals) - meanOrdinal(b.ordinals));
          const withCi = (xs: number[]) => {
            const sm = summarise(xs, confidence);
            return { ...sm, ciLow: sm.mean - sm.half, ciHigh: sm.mean + sm.half };
          };
          out.push({
            levels: g.levels,
            label: g.levels.map((l) => `${l.factor}=${l.level}`).join(', ') || 'all runs',
            topic,
            stance,
            runIds: members.map((rc) => String(rc.run.id)),
            runKeys: members.map((rc) => rc.run.key),
            labs: [...new Set(members.map((rc) => rc.run.lab))].sort(),
            stages: perStage.map((slot, index) => ({
              index,
              stage: slot.stage,
              stageKind: slot.kind,
              runs: slot.series.length,
              points: aggregateAcrossRuns(slot.series, confidence).map((a, i) => ({ progress: grid[i]!, ...a })),
              drift: slot.mags.length ? { magnitude: withCi(slot.mags), driftTime: withCi(slot.times) } : null,
            })),
          });
        }
      }
    }
    return out;
  }
}

export type GroupFactor = 'ALGORITHM' | 'DATASET' | 'MODEL' | 'SFT_DATASET' | 'LAB';

export interface GroupedRequest extends Selection {
  groupBy: GroupFactor[];
  gridPoints?: number | null;
  /** Stage kind whose algorithm/dataset the ALGORITHM and DATASET factors read (default preference). */
  stageKind?: StageKind | null;
  endpoint?: DriftEndpoint | null;
}

export interface GroupedStage {
  index: number;
  stage: string;
  stageKind: StageKind;
  runs: number;
  points: ({ progress: number } & GridAggregate)[];
  drift: {
    magnitude: Summary & { ciLow: number; ciHigh: number };
    driftTime: Summary & { ciLow: number; ciHigh: number };
  } | null;
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
