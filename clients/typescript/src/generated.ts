/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** LATEST: the latest version of each lab’s dataset (by version number, then ingest order); ALL: every version */
export type DatasetVersions =
  | 'ALL'
  | 'LATEST';

/** LAST: magnitude = last − first point of the stage path. EXTREMUM: the point farthest from the first. */
export type DriftEndpoint =
  | 'EXTREMUM'
  | 'LAST';

export type EffectDecompositionInput = {
  /** Confidence level of drift times and pairwise intervals */
  confidence?: number;
  /** Endpoint of DRIFT_MAGNITUDE */
  endpoint?: DriftEndpoint;
  /** Factors in model order (matters for TYPE_I), each once; omitted means [ALGORITHM, DATASET] */
  factors?: Array<EffectFactor> | null | undefined;
  /** All interactions of the factors (A*B), or main effects only (A+B) */
  interactions?: boolean;
  outcome: Outcome;
  pairwise?: PairwiseInput | null | undefined;
  /** Omitted: every run */
  runFilter?: RunFilter | null | undefined;
  /** Run ids, at most 1000; with runFilter, the intersection */
  runIds?: Array<string | number> | null | undefined;
  /** The run’s last stage of this kind is analysed */
  stageKind?: StageKind;
  stance: Stance;
  sumOfSquares?: SumOfSquares;
  /** Topics averaged into each run’s outcome (each weighs the same), at most 200; omitted means all */
  topics?: Array<string> | null | undefined;
};

/** ALGORITHM / DATASET of the analysed stage; SFT_DATASET of the last sft stage; MODEL; LAB; TOPIC (one observation per run and topic) */
export type EffectFactor =
  | 'ALGORITHM'
  | 'DATASET'
  | 'LAB'
  | 'MODEL'
  | 'SFT_DATASET'
  | 'TOPIC';

/** ALGORITHM / DATASET: algorithm and training data of the run’s last stage of the chosen stageKind (default PREFERENCE); SFT_DATASET: data of the last SFT stage; MODEL; LAB */
export type GroupFactor =
  | 'ALGORITHM'
  | 'DATASET'
  | 'LAB'
  | 'MODEL'
  | 'SFT_DATASET';

/** Per-run outcome of the run’s last stage of the chosen kind */
export type Outcome =
  | 'DRIFT_MAGNITUDE'
  | 'DRIFT_TIME'
  | 'END_VALUE';

/** Pairwise Welch comparisons of the levels of one factor, within each level of another */
export type PairwiseInput = {
  factor: EffectFactor;
  /** Compare within each level of this factor (e.g. DATASET: "does the algorithm matter when the data is held constant?") */
  within?: EffectFactor | null | undefined;
};

/** Selects runs. Each field takes one value or a list (any of them matches); fields combine with AND. algorithm, stageDataset and stageKind match any stage of the run. */
export type RunFilter = {
  /** Algorithm of any stage (sft, ppo, dpo, ...) */
  algorithm?: Array<string> | null | undefined;
  /** Dataset (bundle) name */
  dataset?: Array<string> | null | undefined;
  /** Dataset versions; naming any reads those versions instead of only the latest */
  datasetVersion?: Array<string> | null | undefined;
  /** Manifest run ids */
  key?: Array<string> | null | undefined;
  /** Lab name */
  lab?: Array<string> | null | undefined;
  model?: Array<string> | null | undefined;
  /** Training data of any stage */
  stageDataset?: Array<string> | null | undefined;
  /** Runs having a stage of this kind */
  stageKind?: Array<StageKind> | null | undefined;
  /** LATEST reads only the latest version of each lab’s dataset, so a new version replaces the old in every answer */
  versions?: DatasetVersions;
};

/** Smoothing applied at full resolution, before downsampling */
export type SmoothingInput = {
  /** EMA weight of the newest point, in (0, 1]; 1 means no smoothing */
  alpha: number;
  method?: SmoothingMethod;
};

/** EMA: exponential moving average over the checkpoints in training order */
export type SmoothingMethod =
  | 'EMA';

/** Kind of a post-training stage */
export type StageKind =
  | 'BASE'
  | 'OTHER'
  | 'PREFERENCE'
  | 'SFT';

/** Stance a judged answer takes on the question */
export type Stance =
  | 'NEUTRAL'
  | 'OPPOSE'
  | 'SUPPORT';

/** TYPE_I: sequential, R anova(); TYPE_II: car::Anova(type = 2); TYPE_III: car::Anova(type = 3) with sum-to-zero contrasts */
export type SumOfSquares =
  | 'TYPE_I'
  | 'TYPE_II'
  | 'TYPE_III';

export type TrajectoriesQueryVariables = Exact<{
  runIds?: Array<string | number> | string | number | null | undefined;
  runFilter?: RunFilter | null | undefined;
  topics?: Array<string> | string | null | undefined;
  stances?: Array<Stance> | Stance | null | undefined;
  confidence?: number | null | undefined;
  maxPoints?: number | null | undefined;
  smoothing?: SmoothingInput | null | undefined;
}>;


export type TrajectoriesQuery = { trajectories: Array<{ runId: string, runKey: string, topic: string, stance: Stance, points: Array<{ stage: string, stageKind: StageKind, step: number, globalStep: number, progress: number, value: number, ciLow: number, ciHigh: number, n: number }> }> };

export type GroupedTrajectoriesQueryVariables = Exact<{
  groupBy: Array<GroupFactor> | GroupFactor;
  runIds?: Array<string | number> | string | number | null | undefined;
  runFilter?: RunFilter | null | undefined;
  topics?: Array<string> | string | null | undefined;
  stances?: Array<Stance> | Stance | null | undefined;
  gridPoints?: number | null | undefined;
  confidence?: number | null | undefined;
}>;


export type GroupedTrajectoriesQuery = { groupedTrajectories: Array<{ label: string, topic: string, stance: Stance, runKeys: Array<string>, levels: Array<{ factor: GroupFactor, level: string }>, stages: Array<{ index: number, stage: string, stageKind: StageKind, occurrenceFromEnd: number, runs: number, points: Array<{ progress: number, globalProgress: number, mean: number | null, ciLow: number | null, ciHigh: number | null, n: number }>, drift: { magnitude: { mean: number, ciLow: number, ciHigh: number, n: number }, driftTime: { mean: number, ciLow: number, ciHigh: number, n: number } } | null }> }> };

export type AttributionSummaryQueryVariables = Exact<{
  groupBy?: Array<GroupFactor> | GroupFactor | null | undefined;
  runIds?: Array<string | number> | string | number | null | undefined;
  runFilter?: RunFilter | null | undefined;
  topics?: Array<string> | string | null | undefined;
  stances?: Array<Stance> | Stance | null | undefined;
  confidence?: number | null | undefined;
}>;


export type AttributionSummaryQuery = { attributionSummary: Array<{ label: string, topic: string, stance: Stance, runs: number, levels: Array<{ factor: GroupFactor, level: string }>, kinds: Array<{ stageKind: StageKind, runs: number, netShare: { mean: number, ciLow: number, ciHigh: number, n: number } | null, pathShare: { mean: number, ciLow: number, ciHigh: number, n: number } | null, delta: { mean: number, ciLow: number, ciHigh: number, n: number } }> }> };

export type DriftMetricsQueryVariables = Exact<{
  runIds?: Array<string | number> | string | number | null | undefined;
  runFilter?: RunFilter | null | undefined;
  topics?: Array<string> | string | null | undefined;
  stances?: Array<Stance> | Stance | null | undefined;
  confidence?: number | null | undefined;
  endpoint?: DriftEndpoint | null | undefined;
}>;


export type DriftMetricsQuery = { driftMetrics: Array<{ runId: string, runKey: string, topic: string, stance: Stance, stage: string, stageKind: StageKind, magnitude: number, driftTime: number, startValue: number, endValue: number }> };

export type EffectDecompositionQueryVariables = Exact<{
  input: EffectDecompositionInput;
}>;


export type EffectDecompositionQuery = { effectDecomposition: { outcome: Outcome, stance: Stance, stageKind: StageKind, sumOfSquares: SumOfSquares, factors: Array<EffectFactor>, n: number, totalSumSq: number, note: string | null, terms: Array<{ term: string, df: number, sumSq: number, meanSq: number, fValue: number | null, pValue: number | null, etaSq: number | null, partialEtaSq: number | null, omegaSq: number | null }>, residual: { df: number, sumSq: number, meanSq: number | null }, cells: Array<{ count: number, mean: number, sd: number | null, ciLow: number, ciHigh: number, levels: Array<{ factor: EffectFactor, level: string }> }>, pairwise: { factor: EffectFactor, within: EffectFactor | null, confidence: number, adjustment: string, comparisons: Array<{ within: string | null, levelA: string, levelB: string, nA: number, nB: number, meanA: number, meanB: number, difference: number, ciLow: number | null, ciHigh: number | null, pValue: number | null, pAdjusted: number | null, note: string | null }> } | null, excludedRuns: Array<{ runId: string, runKey: string, reason: string }> } };

export type IntervalFragment = { mean: number, ciLow: number, ciHigh: number, n: number };

export type RunsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: RunFilter | null | undefined;
}>;


export type RunsQuery = { runs: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, key: string, model: string, dataset: { id: string, name: string, lab: string, version: string, latest: boolean }, stages: Array<{ name: string, kind: StageKind, algorithm: string | null, dataset: string | null, totalSteps: number | null }> }> } };

export type TopicsQueryVariables = Exact<{
  runFilter?: RunFilter | null | undefined;
}>;


export type TopicsQuery = { topics: Array<{ name: string, promptCount: number, runCount: number }> };

export const IntervalFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"Interval"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GroupedEstimate"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mean"}},{"kind":"Field","name":{"kind":"Name","value":"ciLow"}},{"kind":"Field","name":{"kind":"Name","value":"ciHigh"}},{"kind":"Field","name":{"kind":"Name","value":"n"}}]}}]} as unknown as DocumentNode<IntervalFragment, unknown>;
export const TrajectoriesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Trajectories"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runIds"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"RunFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"topics"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"stances"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Stance"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"confidence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Float"}},"defaultValue":{"kind":"FloatValue","value":"0.95"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"maxPoints"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"smoothing"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SmoothingInput"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"trajectories"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runIds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runIds"}}},{"kind":"Argument","name":{"kind":"Name","value":"runFilter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}}},{"kind":"Argument","name":{"kind":"Name","value":"topics"},"value":{"kind":"Variable","name":{"kind":"Name","value":"topics"}}},{"kind":"Argument","name":{"kind":"Name","value":"stances"},"value":{"kind":"Variable","name":{"kind":"Name","value":"stances"}}},{"kind":"Argument","name":{"kind":"Name","value":"confidence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"confidence"}}},{"kind":"Argument","name":{"kind":"Name","value":"maxPoints"},"value":{"kind":"Variable","name":{"kind":"Name","value":"maxPoints"}}},{"kind":"Argument","name":{"kind":"Name","value":"smoothing"},"value":{"kind":"Variable","name":{"kind":"Name","value":"smoothing"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"runKey"}},{"kind":"Field","name":{"kind":"Name","value":"topic"}},{"kind":"Field","name":{"kind":"Name","value":"stance"}},{"kind":"Field","name":{"kind":"Name","value":"points"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stage"}},{"kind":"Field","name":{"kind":"Name","value":"stageKind"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"globalStep"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"ciLow"}},{"kind":"Field","name":{"kind":"Name","value":"ciHigh"}},{"kind":"Field","name":{"kind":"Name","value":"n"}}]}}]}}]}}]} as unknown as DocumentNode<TrajectoriesQuery, TrajectoriesQueryVariables>;
export const GroupedTrajectoriesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GroupedTrajectories"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"GroupFactor"}}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runIds"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"RunFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"topics"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"stances"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Stance"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"gridPoints"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"50"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"confidence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Float"}},"defaultValue":{"kind":"FloatValue","value":"0.95"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"groupedTrajectories"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"groupBy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}}},{"kind":"Argument","name":{"kind":"Name","value":"runIds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runIds"}}},{"kind":"Argument","name":{"kind":"Name","value":"runFilter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}}},{"kind":"Argument","name":{"kind":"Name","value":"topics"},"value":{"kind":"Variable","name":{"kind":"Name","value":"topics"}}},{"kind":"Argument","name":{"kind":"Name","value":"stances"},"value":{"kind":"Variable","name":{"kind":"Name","value":"stances"}}},{"kind":"Argument","name":{"kind":"Name","value":"gridPoints"},"value":{"kind":"Variable","name":{"kind":"Name","value":"gridPoints"}}},{"kind":"Argument","name":{"kind":"Name","value":"confidence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"confidence"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"levels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"factor"}},{"kind":"Field","name":{"kind":"Name","value":"level"}}]}},{"kind":"Field","name":{"kind":"Name","value":"label"}},{"kind":"Field","name":{"kind":"Name","value":"topic"}},{"kind":"Field","name":{"kind":"Name","value":"stance"}},{"kind":"Field","name":{"kind":"Name","value":"runKeys"}},{"kind":"Field","name":{"kind":"Name","value":"stages"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"stage"}},{"kind":"Field","name":{"kind":"Name","value":"stageKind"}},{"kind":"Field","name":{"kind":"Name","value":"occurrenceFromEnd"}},{"kind":"Field","name":{"kind":"Name","value":"runs"}},{"kind":"Field","name":{"kind":"Name","value":"points"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"globalProgress"}},{"kind":"Field","name":{"kind":"Name","value":"mean"}},{"kind":"Field","name":{"kind":"Name","value":"ciLow"}},{"kind":"Field","name":{"kind":"Name","value":"ciHigh"}},{"kind":"Field","name":{"kind":"Name","value":"n"}}]}},{"kind":"Field","name":{"kind":"Name","value":"drift"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"magnitude"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"Interval"}}]}},{"kind":"Field","name":{"kind":"Name","value":"driftTime"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"Interval"}}]}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"Interval"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GroupedEstimate"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mean"}},{"kind":"Field","name":{"kind":"Name","value":"ciLow"}},{"kind":"Field","name":{"kind":"Name","value":"ciHigh"}},{"kind":"Field","name":{"kind":"Name","value":"n"}}]}}]} as unknown as DocumentNode<GroupedTrajectoriesQuery, GroupedTrajectoriesQueryVariables>;
export const AttributionSummaryDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AttributionSummary"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"GroupFactor"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runIds"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"RunFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"topics"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"stances"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Stance"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"confidence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Float"}},"defaultValue":{"kind":"FloatValue","value":"0.95"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"attributionSummary"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"groupBy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}}},{"kind":"Argument","name":{"kind":"Name","value":"runIds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runIds"}}},{"kind":"Argument","name":{"kind":"Name","value":"runFilter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}}},{"kind":"Argument","name":{"kind":"Name","value":"topics"},"value":{"kind":"Variable","name":{"kind":"Name","value":"topics"}}},{"kind":"Argument","name":{"kind":"Name","value":"stances"},"value":{"kind":"Variable","name":{"kind":"Name","value":"stances"}}},{"kind":"Argument","name":{"kind":"Name","value":"confidence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"confidence"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"levels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"factor"}},{"kind":"Field","name":{"kind":"Name","value":"level"}}]}},{"kind":"Field","name":{"kind":"Name","value":"label"}},{"kind":"Field","name":{"kind":"Name","value":"topic"}},{"kind":"Field","name":{"kind":"Name","value":"stance"}},{"kind":"Field","name":{"kind":"Name","value":"runs"}},{"kind":"Field","name":{"kind":"Name","value":"kinds"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stageKind"}},{"kind":"Field","name":{"kind":"Name","value":"runs"}},{"kind":"Field","name":{"kind":"Name","value":"netShare"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"Interval"}}]}},{"kind":"Field","name":{"kind":"Name","value":"pathShare"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"Interval"}}]}},{"kind":"Field","name":{"kind":"Name","value":"delta"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"Interval"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"Interval"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GroupedEstimate"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mean"}},{"kind":"Field","name":{"kind":"Name","value":"ciLow"}},{"kind":"Field","name":{"kind":"Name","value":"ciHigh"}},{"kind":"Field","name":{"kind":"Name","value":"n"}}]}}]} as unknown as DocumentNode<AttributionSummaryQuery, AttributionSummaryQueryVariables>;
export const DriftMetricsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DriftMetrics"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runIds"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"RunFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"topics"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"stances"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Stance"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"confidence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Float"}},"defaultValue":{"kind":"FloatValue","value":"0.95"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"endpoint"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DriftEndpoint"}},"defaultValue":{"kind":"EnumValue","value":"LAST"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"driftMetrics"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runIds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runIds"}}},{"kind":"Argument","name":{"kind":"Name","value":"runFilter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}}},{"kind":"Argument","name":{"kind":"Name","value":"topics"},"value":{"kind":"Variable","name":{"kind":"Name","value":"topics"}}},{"kind":"Argument","name":{"kind":"Name","value":"stances"},"value":{"kind":"Variable","name":{"kind":"Name","value":"stances"}}},{"kind":"Argument","name":{"kind":"Name","value":"confidence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"confidence"}}},{"kind":"Argument","name":{"kind":"Name","value":"endpoint"},"value":{"kind":"Variable","name":{"kind":"Name","value":"endpoint"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"runKey"}},{"kind":"Field","name":{"kind":"Name","value":"topic"}},{"kind":"Field","name":{"kind":"Name","value":"stance"}},{"kind":"Field","name":{"kind":"Name","value":"stage"}},{"kind":"Field","name":{"kind":"Name","value":"stageKind"}},{"kind":"Field","name":{"kind":"Name","value":"magnitude"}},{"kind":"Field","name":{"kind":"Name","value":"driftTime"}},{"kind":"Field","name":{"kind":"Name","value":"startValue"}},{"kind":"Field","name":{"kind":"Name","value":"endValue"}}]}}]}}]} as unknown as DocumentNode<DriftMetricsQuery, DriftMetricsQueryVariables>;
export const EffectDecompositionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EffectDecomposition"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"EffectDecompositionInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"effectDecomposition"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"stance"}},{"kind":"Field","name":{"kind":"Name","value":"stageKind"}},{"kind":"Field","name":{"kind":"Name","value":"sumOfSquares"}},{"kind":"Field","name":{"kind":"Name","value":"factors"}},{"kind":"Field","name":{"kind":"Name","value":"n"}},{"kind":"Field","name":{"kind":"Name","value":"terms"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"term"}},{"kind":"Field","name":{"kind":"Name","value":"df"}},{"kind":"Field","name":{"kind":"Name","value":"sumSq"}},{"kind":"Field","name":{"kind":"Name","value":"meanSq"}},{"kind":"Field","name":{"kind":"Name","value":"fValue"}},{"kind":"Field","name":{"kind":"Name","value":"pValue"}},{"kind":"Field","name":{"kind":"Name","value":"etaSq"}},{"kind":"Field","name":{"kind":"Name","value":"partialEtaSq"}},{"kind":"Field","name":{"kind":"Name","value":"omegaSq"}}]}},{"kind":"Field","name":{"kind":"Name","value":"residual"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"df"}},{"kind":"Field","name":{"kind":"Name","value":"sumSq"}},{"kind":"Field","name":{"kind":"Name","value":"meanSq"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totalSumSq"}},{"kind":"Field","name":{"kind":"Name","value":"cells"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"levels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"factor"}},{"kind":"Field","name":{"kind":"Name","value":"level"}}]}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"mean"}},{"kind":"Field","name":{"kind":"Name","value":"sd"}},{"kind":"Field","name":{"kind":"Name","value":"ciLow"}},{"kind":"Field","name":{"kind":"Name","value":"ciHigh"}}]}},{"kind":"Field","name":{"kind":"Name","value":"pairwise"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"factor"}},{"kind":"Field","name":{"kind":"Name","value":"within"}},{"kind":"Field","name":{"kind":"Name","value":"confidence"}},{"kind":"Field","name":{"kind":"Name","value":"adjustment"}},{"kind":"Field","name":{"kind":"Name","value":"comparisons"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"within"}},{"kind":"Field","name":{"kind":"Name","value":"levelA"}},{"kind":"Field","name":{"kind":"Name","value":"levelB"}},{"kind":"Field","name":{"kind":"Name","value":"nA"}},{"kind":"Field","name":{"kind":"Name","value":"nB"}},{"kind":"Field","name":{"kind":"Name","value":"meanA"}},{"kind":"Field","name":{"kind":"Name","value":"meanB"}},{"kind":"Field","name":{"kind":"Name","value":"difference"}},{"kind":"Field","name":{"kind":"Name","value":"ciLow"}},{"kind":"Field","name":{"kind":"Name","value":"ciHigh"}},{"kind":"Field","name":{"kind":"Name","value":"pValue"}},{"kind":"Field","name":{"kind":"Name","value":"pAdjusted"}},{"kind":"Field","name":{"kind":"Name","value":"note"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"excludedRuns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"runKey"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}}]}},{"kind":"Field","name":{"kind":"Name","value":"note"}}]}}]}}]} as unknown as DocumentNode<EffectDecompositionQuery, EffectDecompositionQueryVariables>;
export const RunsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Runs"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"50"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"RunFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"dataset"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"lab"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"latest"}}]}},{"kind":"Field","name":{"kind":"Name","value":"stages"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"algorithm"}},{"kind":"Field","name":{"kind":"Name","value":"dataset"}},{"kind":"Field","name":{"kind":"Name","value":"totalSteps"}}]}}]}}]}}]}}]} as unknown as DocumentNode<RunsQuery, RunsQueryVariables>;
export const TopicsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Topics"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"RunFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"topics"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runFilter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"promptCount"}},{"kind":"Field","name":{"kind":"Name","value":"runCount"}}]}}]}}]} as unknown as DocumentNode<TopicsQuery, TopicsQueryVariables>;