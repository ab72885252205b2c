/**
 * Arrow IPC stream export: DuckDB writes the rows as Parquet with an Arrow schema in the file's
 * metadata, and a worker thread (arrow-worker.ts) converts that file into an Arrow IPC stream.
 * The schema hint makes every string column a dictionary (Int32 indices into the distinct
 * values), as Parquet stores them: the run attributes, topic, prompt and stage names repeat on
 * every row, so this keeps the stream several times smaller than plain strings and loads in pandas
 * as categoricals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Dictionary, Field, Float64, Int32, Int64, RecordBatchStreamWriter, Schema, Utf8, type DataType } from 'apache-arrow';
import { ROOT } from '../paths';
import type { ArrowJob } from './arrow-worker';

/** Arrow types of the DuckDB column types exports produce. */
function arrowType(duckType: string, dictionaryId: () => number): DataType {
  switch (duckType) {
    case 'VARCHAR':
      return new Dictionary(new Utf8(), new Int32(), dictionaryId());
    case 'INTEGER':
      return new Int32();
    case 'BIGINT':
      return new Int64();
    case 'DOUBLE':
      return new Float64();
    default:
      throw new Error(`no Arrow type for DuckDB column type ${duckType}`);
  }
}

/**
 * The value of the Parquet metadata key `ARROW:schema` for these columns: the schema as an
 * encapsulated IPC message, base64, as arrow-rs (and pyarrow) read and write it.
 */
export function arrowSchemaHint(columns: readonly { name: string; type: string }[]): string {
  let id = 0;
  const schema = new Schema(
    columns.map(
      (c) =>
        new Field(
          c.name,
          arrowType(c.type, () => id++),
          true,
        ),
    ),
  );
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  const stream = writer.finish().toUint8Array(true);
  // The stream is the schema message followed by the 8-byte end-of-stream marker.
  return Buffer.from(stream.subarray(0, stream.length - 8)).toString('base64');
}

/** The compiled worker: next to this file when built, else (tests run the TypeScript) in dist/. */
function workerFile(): string {
  const here = path.join(__dirname, 'arrow-worker.js');
  if (fs.existsSync(here)) return here;
  const built = path.join(ROOT, 'dist', 'src', 'export', 'arrow-worker.js');
  if (fs.existsSync(built)) return built;
  throw new Error('the Arrow export worker is not built (run npm run build)');
}

/** Converts a Parquet file written with `arrowSchemaHint` into an Arrow IPC stream; the row count. */
export function parquetToArrow(parquet: string, arrow: string, batchSize = 65_536): Promise<number> {
  const job: ArrowJob = { parquet, arrow, batchSize };
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile(), { workerData: job });
    let settled = false;
    worker.once('message', (m: { rows?: number; error?: string }) => {
      settled = true;
      if (m.error !== undefined) reject(new Error(`Arrow conversion failed: ${m.error}`));
      else resolve(m.rows!);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`Arrow conversion worker exited with code ${code}`));
    });
  });
}
