/** Opens the storage the configuration names: cluster mode when DRIFT_CATALOG_URL is set, else the DRIFT_DB file. */
import type { Config } from '../config';
import { DriftDb } from './client';
import { ClusterStorage, redact } from './cluster';
import { migrate } from './migrate';
import { EmbeddedStorage, type Storage } from './storage';

export type StorageConfig = Pick<
  Config,
  | 'dbPath'
  | 'DRIFT_READ_CONNECTIONS'
  | 'DRIFT_MEMORY_LIMIT'
  | 'DRIFT_THREADS'
  | 'DRIFT_CATALOG_URL'
  | 'DRIFT_LAKE'
  | 'DRIFT_POLL_MS'
  | 'DRIFT_LAKE_GRACE_MS'
  | 'DRIFT_MAINTENANCE_MS'
>;

/** The storage, migrated, and a line saying what was opened. */
export async function openStorage(
  config: StorageConfig,
  opts: { background?: boolean } = {},
): Promise<{ storage: Storage; description: string }> {
  if (config.DRIFT_CATALOG_URL && config.DRIFT_LAKE) {
    const storage = await ClusterStorage.open({
      catalogUrl: config.DRIFT_CATALOG_URL,
      lake: config.DRIFT_LAKE,
      readConnections: config.DRIFT_READ_CONNECTIONS,
      memoryLimit: config.DRIFT_MEMORY_LIMIT,
      threads: config.DRIFT_THREADS,
      pollMs: config.DRIFT_POLL_MS,
      retireGraceMs: config.DRIFT_LAKE_GRACE_MS,
      maintenanceMs: config.DRIFT_MAINTENANCE_MS,
      background: opts.background,
    });
    return { storage, description: `cluster mode: catalogue ${redact(config.DRIFT_CATALOG_URL)}, lake ${config.DRIFT_LAKE}` };
  }
  const db = await DriftDb.open(config.dbPath, {
    readConnections: config.DRIFT_READ_CONNECTIONS,
    memoryLimit: config.DRIFT_MEMORY_LIMIT,
    threads: config.DRIFT_THREADS,
  });
  try {
    const report = await migrate(db);
    return { storage: new EmbeddedStorage(db), description: `database ${config.dbPath}: ${report.applied.length} migration(s) applied` };
  } catch (err) {
    await db.close();
    throw err;
  }
}
