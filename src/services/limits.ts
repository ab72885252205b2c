/** Bounds on how much one request may select; argument types and services read them from here. */
export const LIMITS = {
  /** Points of the grouped-trajectory progress grid. */
  gridPoints: 1000,
  /** Ids in one runIds argument. */
  runIdsPerQuery: 1000,
  /** Runs one trajectories query may select. */
  trajectoryRuns: 200,
  /** Runs any other analytic query may select. */
  analyticRuns: 5000,
  /** Topics in one topics argument. */
  topics: 200,
  /** Values in one run-filter field. */
  filterValues: 100,
  /** Runs per page of the runs connection. */
  page: 200,
} as const;
