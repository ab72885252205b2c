/**
 * Pure analytics for driftql (README Metrics 1-7): no I/O, no database. The GraphQL services,
 * the CLI and exports all compute metrics through these functions.
 */
export { DEFAULT_CONFIDENCE, assertConfidence, halfWidth, mean, sampleSd, summarise, tQuantile } from './stats';
export type { Summary } from './stats';
export { valueFromMeanSd } from './values';
export type { ValueEstimate } from './values';
export { resolveStages, stageOffsets, stagePaths } from './paths';
export type { CheckpointValue, PathPoint, RunStage, StagePath, StageSpec } from './paths';
export {
  TIE_EPSILON,
  distributionShift,
  distributionShiftByStage,
  driftMetrics,
  shareOf,
  stageAttribution,
  stageDrift,
  tieAwareDifference,
} from './drift';
export type { Attribution, StageAttribution, StageDrift } from './drift';
export { buildTrajectory, downsampleMinMax, emaSmooth, progress } from './trajectory';
export type { TrajectoryOptions, TrajectoryPoint } from './trajectory';
export {
  aggregateAcrossRuns,
  alignGroup,
  GroupAligner,
  interpolateOnGrid,
  progressGrid,
  progressPoints,
  stageSlots,
  estimateOf,
} from './grouping';
export type { AlignedStage, Estimate, GridAggregate, GroupMember, StageSlot } from './grouping';
export { factorLevel, groupByFactors, lastStageOfKind } from './factors';
export type { FactorGroup, FactorSource } from './factors';
export { anova, fUpperTail, MAX_MODEL_COEFFICIENTS } from './anova';
export type { AnovaCell, AnovaInput, AnovaMarginalMean, AnovaResult, AnovaTerm } from './anova';
export { holmAdjust, pairwiseWelch, welchTTest } from './pairwise';
export type { PairwiseComparison, PairwiseResult } from './pairwise';
export { summariseAttribution } from './attribution';
export type { KindAttribution } from './attribution';
