/**
 * Effect decomposition (README, effect decomposition): one outcome per run (or per run and topic), a linear
 * model over the chosen factors, and R-compatible sums of squares.
 */
import {
  DEFAULT_CONFIDENCE,
  anova,
  factorLevel,
  lastStageOfKind,
  pairwiseWelch,
  stageDrift,
  type AnovaMarginalMean,
  type AnovaResult,
  type PairwiseResult,
} from '../analytics';
import type { DriftEndpoint, EffectFactor, Outcome, StageKind, Stance, SumOfSquares } from '../domain';
import type { Scope } from '../auth/principal';
import { UserInputError } from '../errors';
import type { AnalysisService, Selection } from './analysis.service';
import type { ResultCache } from './cache';
import { pathsFor, type RunCheckpoints } from './checkpoints';
import { LIMITS } from './limits';
import { yielder } from './yielder';

/** The factors analysed when a request names none. */
export const DEFAULT_EFFECT_FACTORS: readonly EffectFactor[] = ['ALGORITHM', 'DATASET'];

export interface EffectRequest {
  outcome: Outcome;
  stance: Stance;
  stageKind?: StageKind | null;
  topics?: string[] | null;
  factors?: EffectFactor[] | null;
  interactions?: boolean | null;
  sumOfSquares?: SumOfSquares | null;
  runFilter?: Selection['runFilter'];
  runIds?: string[] | null;
  endpoint?: DriftEndpoint | null;
  confidence?: number | null;
  pairwise?: { factor: EffectFactor; within?: EffectFactor | null } | null;
}

export interface Observation {
  runId: string;
  runKey: string;
  topic: string | null;
  y: number;
  levels: Record<string, string>;
}

export interface EffectResult extends Omit<AnovaResult, 'marginalMeans'> {
  outcome: Outcome;
  stance: Stance;
  stageKind: StageKind;
  factorNames: readonly EffectFactor[];
  marginalMeans: (AnovaMarginalMean & { factor: EffectFactor })[];
  observations: Observation[];
  excludedRuns: { runId: string; runKey: string; reason: string }[];
  pairwise: (PairwiseResult & { factor: EffectFactor; within: EffectFactor | null }) | null;
}

export class EffectsService {
  constructor(
    private readonly analysis: AnalysisService,
    private readonly cache: ResultCache,
  ) {}

  private outcomeOf(rc: RunCheckpoints, topic: string, req: EffectRequest, kind: StageKind, confidence: number): number | null {
    const stage = lastStageOfKind(rc.stages, kind);
    if (!stage) return null;
    const path = pathsFor(rc, topic, req.stance, confidence).find((p) => p.stage === stage.name);
    if (!path) return null;
    switch (req.outcome) {
      case 'END_VALUE':
        return path.points[path.points.length - 1]!.value;
      case 'DRIFT_MAGNITUDE':
        return stageDrift(path, req.endpoint ?? 'LAST').magnitude;
      case 'DRIFT_TIME':
        return stageDrift(path, 'LAST').driftTime;
    }
  }

  decompose(scope: Scope, req: EffectRequest): Promise<EffectResult> {
    return this.cache.get('effectDecomposition', scope.key, req, () => this.compute(scope, req));
  }

  private async compute(scope: Scope, req: EffectRequest): Promise<EffectResult> {
    const confidence = req.confidence ?? DEFAULT_CONFIDENCE;
    const kind = req.stageKind ?? 'preference';
    const factors = req.factors ?? DEFAULT_EFFECT_FACTORS;
    const byTopic = factors.includes('TOPIC');
    const { data } = await this.analysis.load(
      scope,
      { runIds: req.runIds, runFilter: req.runFilter, topics: req.topics, confidence },
      LIMITS.analyticRuns,
    );
    if (!data.length) throw new UserInputError('no runs match the selection; widen runFilter or check runIds', 'input.runFilter');

    const observations: Observation[] = [];
    const excludedRuns: EffectResult['excludedRuns'] = [];
    const pause = yielder();
    for (const rc of data) {
      await pause();
      const exclude = (reason: string) => excludedRuns.push({ runId: String(rc.run.id), runKey: rc.run.key, reason });
      const levels: Record<string, string> = {};
      let missing: string | null = null;
      for (const f of factors) {
        if (f === 'TOPIC') continue;
        const level = factorLevel({ model: rc.run.model, lab: rc.run.lab, stages: rc.stages }, f, kind);
        if (level === null) missing = f;
        else levels[f] = level;
      }
      if (missing) {
        exclude(`no level for ${missing} (${missing === 'SFT_DATASET' ? 'no sft stage' : `no ${kind} stage with that field`})`);
        continue;
      }
      const topics = [...rc.topics.keys()].sort();
      const values = topics
        .map((t) => ({ topic: t, y: this.outcomeOf(rc, t, req, kind, confidence) }))
        .filter((v): v is { topic: string; y: number } => v.y !== null);
      if (!values.length) {
        exclude(`no evaluated ${kind} stage`);
        continue;
      }
      if (byTopic) {
        for (const v of values)
          observations.push({
            runId: String(rc.run.id),
            runKey: rc.run.key,
            topic: v.topic,
            y: v.y,
            levels: { ...levels, TOPIC: v.topic },
          });
      } else {
        // Each topic weighs the same in the run's outcome.
        const y = values.reduce((a, v) => a + v.y, 0) / values.length;
        observations.push({ runId: String(rc.run.id), runKey: rc.run.key, topic: null, y, levels });
      }
    }
    if (!observations.length) {
      throw new UserInputError(
        `none of the ${data.length} selected runs has an evaluated ${kind} stage; choose another stageKind or other runs`,
        'input.stageKind',
      );
    }

    const factorValues = (f: EffectFactor) => observations.map((o) => o.levels[f]!);
    const result = anova({
      y: observations.map((o) => o.y),
      factors: factors.map((f) => ({ name: f, values: factorValues(f) })),
      interactions: req.interactions ?? true,
      type: req.sumOfSquares ?? 'TYPE_II',
      confidence,
    });

    let pairwise: EffectResult['pairwise'] = null;
    if (req.pairwise) {
      const { factor, within } = req.pairwise;
      const comparisons = pairwiseWelch({
        y: observations.map((o) => o.y),
        factor: { name: factor, values: factorValues(factor) },
        within: within ? { name: within, values: factorValues(within) } : null,
        confidence,
      });
      pairwise = { ...comparisons, factor, within: within ?? null };
    }
    // The model's factor names are the request's factors: map them back to the vocabulary.
    const factorNamed = new Map(factors.map((f) => [f as string, f]));
    return {
      ...result,
      marginalMeans: result.marginalMeans.map((m) => ({ ...m, factor: factorNamed.get(m.factor)! })),
      outcome: req.outcome,
      stance: req.stance,
      stageKind: kind,
      factorNames: factors,
      observations,
      excludedRuns,
      pairwise,
    };
  }
}
