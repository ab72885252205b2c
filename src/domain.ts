/**
 * The vocabulary shared by ingest, analytics, services and the API, each defined once. The
 * GraphQL enums are these objects registered as they are (src/graphql/common/enums.ts), so a
 * value a resolver receives is already the domain value: no parallel types, no casts.
 */
type ValueOf<T> = T[keyof T];

/** Stance a judged answer takes on the question (GraphQL name: the key, value: the canonical label). */
export const Stance = { SUPPORT: 'support', NEUTRAL: 'neutral', OPPOSE: 'oppose' } as const;
export type Stance = ValueOf<typeof Stance>;
export const STANCES: readonly Stance[] = Object.values(Stance);

/** Kind of a post-training stage (README, Bundle format). */
export const StageKind = { BASE: 'base', SFT: 'sft', PREFERENCE: 'preference', OTHER: 'other' } as const;
export type StageKind = ValueOf<typeof StageKind>;
export const STAGE_KINDS: readonly StageKind[] = Object.values(StageKind);

/** Which point ends a stage for drift magnitude (README Metrics 5). */
export const DriftEndpoint = { LAST: 'LAST', EXTREMUM: 'EXTREMUM' } as const;
export type DriftEndpoint = ValueOf<typeof DriftEndpoint>;

/**
 * Run-level factors for grouping and effect decomposition. ALGORITHM and DATASET read the run's
 * last stage of the analysed kind, SFT_DATASET the last `sft` stage.
 */
export const GroupFactor = { ALGORITHM: 'ALGORITHM', DATASET: 'DATASET', MODEL: 'MODEL', SFT_DATASET: 'SFT_DATASET', LAB: 'LAB' } as const;
export type GroupFactor = ValueOf<typeof GroupFactor>;

/** Effect-decomposition factors: the run-level ones plus TOPIC (one observation per run and topic). */
export const EffectFactor = { ...GroupFactor, TOPIC: 'TOPIC' } as const;
export type EffectFactor = ValueOf<typeof EffectFactor>;

/** Per-run outcome of effect decomposition (README, effect decomposition). */
export const Outcome = { DRIFT_MAGNITUDE: 'DRIFT_MAGNITUDE', DRIFT_TIME: 'DRIFT_TIME', END_VALUE: 'END_VALUE' } as const;
export type Outcome = ValueOf<typeof Outcome>;

/** Sums of squares: R's anova() (TYPE_I), car::Anova type 2 and type 3. */
export const SumOfSquares = { TYPE_I: 'TYPE_I', TYPE_II: 'TYPE_II', TYPE_III: 'TYPE_III' } as const;
export type SumOfSquares = ValueOf<typeof SumOfSquares>;

/** Smoothing of trajectories for display. */
export const SmoothingMethod = { EMA: 'ema' } as const;
export type SmoothingMethod = ValueOf<typeof SmoothingMethod>;

/**
 * What an API key may do: `reader` reads its lab's private datasets and every public one,
 * `writer` also uploads, replaces and deletes its lab's datasets, `admin` does everything.
 */
export const Role = { READER: 'reader', WRITER: 'writer', ADMIN: 'admin' } as const;
export type Role = ValueOf<typeof Role>;
export const ROLES: readonly Role[] = Object.values(Role);

/** Who may see a dataset: `public` (everyone) or `private` (its lab only). */
export const Visibility = { PUBLIC: 'public', PRIVATE: 'private' } as const;
export type Visibility = ValueOf<typeof Visibility>;

/** Which versions of each (lab, dataset) a run selection reads. */
export const DatasetVersions = { LATEST: 'LATEST', ALL: 'ALL' } as const;
export type DatasetVersions = ValueOf<typeof DatasetVersions>;

/** Where an uploaded bundle's ingest job is. */
export const IngestJobStatus = { QUEUED: 'queued', RUNNING: 'running', SUCCEEDED: 'succeeded', FAILED: 'failed' } as const;
export type IngestJobStatus = ValueOf<typeof IngestJobStatus>;
