/**
 * Pure analytics for driftql (DESIGN §3 items 1-7): no I/O, no database. The GraphQL services,
 * the CLI and exports all compute metrics through these functions.
 */
export { DEFAULT_CONFIDENCE, assertConfidence, halfWidth, mean, sampleSd, summarise, tQuantile } from './stats';
export type { Summary } from './stats';
export { checkpointValue, valueFromMeanSd } from './values';
export type { ValueEstimate } from './values';
export { stagePaths } from './paths';
export type { CheckpointValue, PathPoint, StagePath, StageSpec } from './paths';
export { distributionShift, distributionShiftByStage, driftMetrics, stageAttribution, stageDrift } from './drift';
export type { Attribution, DriftEndpoint, StageAttribution, StageDrift } from './drift';
export { buildTrajectory, downsampleMinMax, emaSmooth, globalStep, progress, stageOffsets } from './trajectory';
export type { TrajectoryOptions, TrajectoryPoint } from './trajectory';
export { aggregateAcrossRuns, interpolateOnGrid, progressGrid } from './grouping';
export type { GridAggregate } from './grouping';
export { anova, fUpperTail, MAX_MODEL_COEFFICIENTS } from './anova';
export type { AnovaCell, AnovaInput, AnovaMarginalMean, AnovaResult, AnovaTerm, SumOfSquaresType } from './anova';
export { holmAdjust, pairwiseWelch, welchTTest } from './pairwise';
export type { PairwiseComparison, PairwiseResult } from './pairwise';
