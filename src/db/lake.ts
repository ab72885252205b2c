/**
 * The lake of cluster mode: a folder (DRIFT_LAKE) every replica sees, holding each dataset
 * version's facts as immutable Parquet files, one per fact table:
 *
 *   <lake>/<table>/d<dataset id>-<random>.parquet   published (once its catalogue row commits)
 *   <lake>/.tmp/<random>.parquet                    being written
 *
 * A file is written under a temporary name, flushed to disk, and renamed into place; only then
 * does the catalogue transaction that lists it (`lake_files`) commit. A file in place but not
 * listed belongs to an ingest that failed or a replica that died before its commit; the sweep
 * removes such files, and files of deleted versions a grace period after their retirement. The
 * sweep runs only while it holds the cluster's ingest lock, so no ingest is writing meanwhile.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sqlString } from './sql';

export const FACT_TABLES = ['observations', 'prompt_means', 'checkpoint_values'] as const;
export type FactTable = (typeof FACT_TABLES)[number];

/** The order rows are written in: by run first, so Parquet row-group statistics skip other runs. */
const ORDER: Record<FactTable, string> = {
  observations: 'run_id, stage_id, step, topic_id, prompt_id, generation',
  prompt_means: 'run_id, stage_id, step, topic_id, prompt_id',
  checkpoint_values: 'run_id, stage_id, step, topic_id',
};

export interface LakeFile {
  /** Relative to the lake folder, with forward slashes (replicas may mount the lake elsewhere). */
  path: string;
  table: FactTable;
  rows: number;
  bytes: number;
}

const TMP = '.tmp';

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class Lake {
  constructor(readonly root: string) {
    fs.mkdirSync(path.join(root, TMP), { recursive: true });
    for (const t of FACT_TABLES) fs.mkdirSync(path.join(root, t), { recursive: true });
  }

  abs(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  /**
   * Writes the facts of dataset `datasetId` (as `conn` sees them) as one Parquet file per fact
   * table, each complete and flushed under its final name before this returns. The files are
   * not published: the caller's catalogue transaction does that, or `discard` removes them.
   */
  async write(conn: DuckDBConnection, datasetId: number): Promise<LakeFile[]> {
    const written: LakeFile[] = [];
    try {
      for (const table of FACT_TABLES) {
        const id = crypto.randomUUID();
        const temp = path.join(this.root, TMP, `${id}.parquet`);
        const rel = `${table}/d${datasetId}-${id}.parquet`;
        const reader = await conn.runAndReadAll(
          `COPY (SELECT * FROM ${table} WHERE run_id IN (SELECT id FROM runs WHERE dataset_id = ${Number(datasetId)}) ORDER BY ${ORDER[table]})
           TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        const rows = Number(reader.getRows()[0]?.[0] ?? 0);
        fsyncPath(temp);
        fs.renameSync(temp, this.abs(rel));
        written.push({ path: rel, table, rows, bytes: fs.statSync(this.abs(rel)).size });
      }
      for (const t of FACT_TABLES) fsyncPath(path.join(this.root, t));
      return written;
    } catch (err) {
      this.discard(written);
      throw err;
    }
  }

  /** Removes files that were written but will not be published. */
  discard(files: readonly { path: string }[]): void {
    for (const f of files) fs.rmSync(this.abs(f.path), { force: true });
  }

  /**
   * Removes what no ingest can be writing and no catalogue row lists: temporary files, and files
   * in place that `listed` does not name. Call only while holding the cluster's ingest lock.
   * Returns the number of files removed.
   */
  sweepUnlisted(listed: ReadonlySet<string>): number {
    let removed = 0;
    for (const name of fs.readdirSync(path.join(this.root, TMP))) {
      fs.rmSync(path.join(this.root, TMP, name), { force: true, recursive: true });
      removed++;
    }
    for (const t of FACT_TABLES) {
      for (const name of fs.readdirSync(path.join(this.root, t))) {
        if (!name.endsWith('.parquet') || listed.has(`${t}/${name}`)) continue;
        fs.rmSync(path.join(this.root, t, name), { force: true });
        removed++;
      }
    }
    return removed;
  }
}
