/** Configuration, read once from the environment, validated, with defaults. See .env.example. */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  // Loopback unless told otherwise: a fresh server holds no keys yet, so it should not face a network.
  HOST: z.string().default('127.0.0.1'),
  DRIFT_DB: z.string().min(1).default('./data/drift.duckdb'),
  DRIFT_READ_CONNECTIONS: z.coerce.number().int().min(1).max(64).default(4),
  DRIFT_MEMORY_LIMIT: z.string().optional(),
  DRIFT_THREADS: z.coerce.number().int().min(1).optional(),
  DRIFT_SEED_DEMO: z.enum(['true', 'false']).default('true'),
  /** Largest estimated response (values) one operation may produce; see graphql/cost.ts. */
  DRIFT_MAX_COST: z.coerce.number().int().min(1000).default(2_000_000),
  DRIFT_MAX_DEPTH: z.coerce.number().int().min(2).default(8),
  /** Estimated bytes of analytic results kept in memory (least recently used go first); 0 turns the cache off. */
  DRIFT_CACHE_BYTES: z.coerce.number().int().min(0).default(268_435_456), // 256 MiB
  /** A second bound on the result cache, in entries; 0 turns the cache off. */
  DRIFT_CACHE_ENTRIES: z.coerce.number().int().min(0).default(10000),
  /** Time limit of each read statement, in ms; a statement past it is stopped with QUERY_TIMEOUT. 0: none. */
  DRIFT_QUERY_TIMEOUT_MS: z.coerce.number().int().min(0).default(30000),
  /** Requests per minute per API key (per client address without one) to /graphql and /api; 0: no limit. */
  DRIFT_RATE_LIMIT: z.coerce.number().int().min(0).default(600),
  /** Whether requests without a key may read public datasets. */
  DRIFT_ANONYMOUS_READ: z.enum(['true', 'false']).default('true'),
  /** Origins allowed to call the API from a browser: a comma-separated list, or `*`. Empty: none. */
  DRIFT_CORS_ORIGINS: z.string().default(''),
  /**
   * Behind a load balancer: which proxies to trust for the client address (X-Forwarded-For), as
   * Express' "trust proxy" takes it: a hop count (1 behind one nginx), `loopback`, or addresses.
   * Unset: none, and the per-address rate limit sees the proxy's address.
   */
  DRIFT_TRUST_PROXY: z.string().min(1).optional(),
  /** Largest bundle upload (the gzip tar body of POST /api/v1/bundles), in bytes; larger ones get HTTP 413. */
  DRIFT_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1).default(2_147_483_648), // 2 GiB
  /** Most bytes an uploaded bundle may unpack to; larger ones are refused while unpacking. */
  DRIFT_MAX_UNPACKED_BYTES: z.coerce.number().int().min(1).default(4_294_967_296), // 4 GiB
  /**
   * Folder for uploads being received, unpacked and ingested; by default `<DRIFT_DB>.uploads`
   * next to the database. Left-overs of a crash (driftql-upload-* folders) are removed at start.
   */
  DRIFT_UPLOAD_DIR: z.string().min(1).optional(),
  /**
   * Cluster mode (with DRIFT_LAKE): the PostgreSQL URL of the shared catalogue. Unset: embedded
   * mode, everything in the DRIFT_DB file.
   */
  DRIFT_CATALOG_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** Cluster mode: the folder of Parquet files every replica sees (a shared volume). */
  DRIFT_LAKE: z.string().min(1).optional(),
  /** Cluster mode: how often a replica polls the data version when no notification came, in ms. */
  DRIFT_POLL_MS: z.coerce.number().int().min(100).default(1000),
  /** Cluster mode: how long files of deleted dataset versions stay for replicas catching up, in ms. */
  DRIFT_LAKE_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  /** Cluster mode: how often a replica sweeps the lake and looks for jobs of stopped replicas, in ms. */
  DRIFT_MAINTENANCE_MS: z.coerce.number().int().min(100).default(5000),
});

export type Config = z.infer<typeof schema> & { dbPath: string };

/** Loads ./.env into process.env when present (variables already set win). */
export function loadDotEnv(file = '.env'): void {
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const data = parsed.data;
  if ((data.DRIFT_CATALOG_URL === undefined) !== (data.DRIFT_LAKE === undefined)) {
    throw new Error(
      'invalid configuration:\n  cluster mode needs both DRIFT_CATALOG_URL (PostgreSQL) and DRIFT_LAKE (the shared Parquet folder); set both, or neither for embedded mode',
    );
  }
  return { ...data, dbPath: path.resolve(data.DRIFT_DB) };
}
