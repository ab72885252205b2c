/**
 * Effect decomposition (DESIGN §3 item 8): one outcome per run (or per run and topic), a linear
 * model over the chosen factors, and R-compatible sums of squares.
 */
import { anova, pairwiseWelch, stageDrift, type AnovaResult, type PairwiseResult, type SumOfSquaresType } from '../analytics';
import type { Stance, StageKind } from '../domain';
import { UserInputError } from '../errors';
import { type AnalysisService, type GroupFactor, type Selection, LIMITS, checkConfidence, checkNotEmpty } from './analysis.service';
import type { ResultCache } from './cache';
import { pathsFor, type RunCheckpoints } from './checkpoints';

export type Outcome = 'DRIFT_MAGNITUDE' | 'DRIFT_TIME' | 'END_VALUE';
export type EffectFactor = GroupFactor | 'TOPIC';

export interface EffectRequest {
  outcome: Outcome;
  stance: Stance;
  stageKind?: StageKind | null;
  topics?: string[] | null;
  factors?: EffectFactor[] | null;
  interactions?: boolean | null;
  sumOfSquares?: SumOfSquaresType | null;
  runFilter?: Selection['runFilter'];
  runIds?: string[] | null;
  endpoint?: 'LAST' | 'EXTREMUM' | null;
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

export interface EffectResult extends AnovaResult {
  outcome: Outcome;
  stance: Stance;
  stageKind: StageKind;
  factorNames: EffectFactor[];
  observations: Observation[];
  excludedRuns: { runId: string; runKey: string; reason: string }[];
  pairwise: PairwiseResult | null;
}

const DEFAULT_FACTORS: EffectFactor[] = ['ALGORITHM', 'DATASET'];

export class EffectsService {
  constructor(
    private readonly analysis: AnalysisService,
    private readonly cache: ResultCache,
  ) {}

  private outcomeOf(rc: RunCheckpoints, topic: string, req: EffectRequest, kind: StageKind, confidence: number): number | null {
    const stage = [...rc.stages].reverse().find((s) => s.kind === kind);
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

  decompose(req: EffectRequest): Promise<EffectResult> {
    return this.cache.get('effectDecomposition', req, () => this.compute(req));
  }

  private async compute(req: EffectRequest): Promise<EffectResult> {
    const confidence = checkConfidence(req.confidence);
    const kind = req.stageKind ?? 'preference';
    checkNotEmpty(req.factors, 'factors');
    const factors = req.factors ?? DEFAULT_FACTORS;
    const dup = factors.find((f, i) => factors.indexOf(f) !== i);
    if (dup) throw new UserInputError(`factor ${dup} is listed twice; list each factor once`, 'factors');
    const byTopic = factors.includes('TOPIC');
    const { data } = await this.analysis.loadSelection(
      { runIds: req.runIds, runFilter: req.runFilter, topics: req.topics, confidence },
      LIMITS.analyticRuns,
    );
    if (!data.length) throw new UserInputError('no runs match the selection; widen runFilter or check runIds', 'input.runFilter');

    const observations: Observation[] = [];
    const excludedRuns: EffectResult['excludedRuns'] = [];
    for (const rc of data) {
      const exclude = (reason: string) => excludedRuns.push({ runId: String(rc.run.id), runKey: rc.run.key, reason });
      const levels: Record<string, string> = {};
      let missing: string | null = null;
      for (const f of factors) {
        if (f === 'TOPIC') continue;
        const level = this.analysis.factorLevel(rc, f, kind);
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
    });

    let pairwise: PairwiseResult | null = null;
    if (req.pairwise) {
      const { factor, within } = req.pairwise;
      for (const f of [factor, within].filter((x): x is EffectFactor => !!x)) {
        if (!factors.includes(f))
          throw new UserInputError(
            `pairwise uses ${f}, which is not among the factors (${factors.join(', ')}); add it to factors`,
            'input.pairwise',
          );
      }
      if (within === factor) throw new UserInputError('pairwise.within must differ from pairwise.factor', 'input.pairwise');
      pairwise = pairwiseWelch({
        y: observations.map((o) => o.y),
        factor: { name: factor, values: factorValues(factor) },
        within: within ? { name: within, values: factorValues(within) } : null,
        confidence,
      });
    }
    return {
      ...result,
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
