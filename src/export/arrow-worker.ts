/**
 * Worker thread: converts a Parquet file that DuckDB wrote into an Arrow IPC stream file.
 *
 * parquet-wasm (the Rust arrow-rs Parquet reader, compiled to WebAssembly) reads the file a batch
 * at a time; the `ARROW:schema` DuckDB stored in the file's metadata makes it keep strings
 * dictionary-encoded, as Parquet holds them. Each batch is re-framed by apache-arrow's stream
 * writer into one IPC stream (schema once, then dictionary and record batches) written straight to
 * the file, so memory holds one batch at a time. Running in a worker keeps the decoding off the
 * server's event loop, and the WebAssembly memory goes away with the worker.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { AsyncByteQueue, RecordBatchReader, RecordBatchStreamWriter } from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm/node/parquet_wasm';

// The package maps `parquet-wasm/node` in its `exports`, which this project's module resolution
// does not read; the types come from the file it maps to.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ParquetFile } = require('parquet-wasm/node') as typeof ParquetWasm;

export interface ArrowJob {
  parquet: string;
  arrow: string;
  /** Rows per record batch. */
  batchSize: number;
}

/** The writer's byte sink, writing each chunk to the file as it is produced instead of queueing it. */
class FileSink extends AsyncByteQueue {
  constructor(private readonly fd: number) {
    super();
  }
  override write(chunk: Uint8Array): void {
    fs.writeSync(this.fd, chunk);
  }
}

async function convert({ parquet, arrow, batchSize }: ArrowJob): Promise<number> {
  const file = await ParquetFile.fromFile(await fs.openAsBlob(parquet));
  const fd = fs.openSync(arrow, 'w');
  try {
    const writer = new RecordBatchStreamWriter();
    writer.reset(new FileSink(fd) as AsyncByteQueue, null);
    let rows = 0;
    let wrote = false;
    // A web ReadableStream of parquet-wasm RecordBatches, which Node streams are async-iterable as.
    const batches = (await file.stream({ batchSize })) as unknown as AsyncIterable<ParquetWasm.RecordBatch>;
    for await (const batch of batches) {
      for (const rb of RecordBatchReader.from(batch.intoIPCStream())) {
        writer.write(rb);
        rows += rb.numRows;
        wrote = true;
      }
    }
    // No rows: the stream still carries the schema.
    if (!wrote) writer.reset(new FileSink(fd) as AsyncByteQueue, RecordBatchReader.from(file.schema().intoIPCStream()).open().schema);
    writer.finish();
    fs.fsyncSync(fd);
    return rows;
  } finally {
    fs.closeSync(fd);
  }
}

convert(workerData as ArrowJob).then(
  (rows) => parentPort!.postMessage({ rows }),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);
