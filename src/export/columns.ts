/**
 * Arrow IPC streams written straight from rows in memory (the analytic tables, which the server
 * has just computed): column by column into typed arrays, a batch of rows at a time, with every
 * string column dictionary-encoded, as the stored tables' Arrow exports are. Nothing goes through
 * text or DuckDB, so an answer already in the result cache is written in a few tens of
 * milliseconds; the work is cut into batches, between which other requests take their turn.
 */
import fs from 'node:fs';
import {
  AsyncByteQueue,
  type Data,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Utf8,
  makeData,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';

/** A DuckDB column type of the export tables. */
export type ColumnType = 'VARCHAR' | 'BIGINT' | 'INTEGER' | 'DOUBLE';

/** Values in column order (null where there is none). */
export type RowValues = readonly (string | number | null)[];

const BATCH = 65_536;

/** The writer's byte sink, writing each chunk to the file as it is produced instead of queueing it. */
class FileSink extends AsyncByteQueue {
  constructor(private readonly fd: number) {
    super();
  }
  override write(chunk: Uint8Array): void {
    fs.writeSync(this.fd, chunk);
  }
}

/** The values of one column for the batch being filled. */
interface ColumnBuilder {
  type: DataType;
  /** Sets row `i` of the batch. */
  set(i: number, v: string | number | null): void;
  /** The batch's first `length` rows as Arrow data; the builder is then ready for the next batch. */
  finish(length: number): Data;
}

/** Validity bits for a batch: a row is valid until `clear(i)`. */
class Validity {
  bits = new Uint8Array(BATCH >> 3).fill(0xff);
  nulls = 0;
  clear(i: number): void {
    this.bits[i >> 3]! &= ~(1 << (i & 7));
    this.nulls++;
  }
  take(length: number): { nullCount: number; nullBitmap?: Uint8Array } {
    const out = this.nulls ? { nullCount: this.nulls, nullBitmap: this.bits.slice(0, (length + 7) >> 3) } : { nullCount: 0 };
    if (this.nulls) this.bits.fill(0xff);
    this.nulls = 0;
    return out;
  }
}

function numberColumn(kind: 'BIGINT' | 'INTEGER' | 'DOUBLE'): ColumnBuilder {
  const validity = new Validity();
  if (kind === 'BIGINT') {
    const type = new Int64();
    let data = new BigInt64Array(BATCH);
    return {
      type,
      set(i, v) {
        if (v === null || !Number.isFinite(v)) validity.clear(i);
        else data[i] = BigInt(v as number);
      },
      finish(length) {
        const out = makeData({ type, length, ...validity.take(length), data: data.slice(0, length) });
        data = new BigInt64Array(BATCH);
        return out;
      },
    };
  }
  const type = kind === 'INTEGER' ? new Int32() : new Float64();
  const Typed = kind === 'INTEGER' ? Int32Array : Float64Array;
  let data: Int32Array | Float64Array = new Typed(BATCH);
  return {
    type,
    set(i, v) {
      if (v === null || !Number.isFinite(v)) validity.clear(i);
      else data[i] = v as number;
    },
    finish(length) {
      const out = makeData({ type: type as Float64, length, ...validity.take(length), data: data.slice(0, length) as Float64Array });
      data = new Typed(BATCH);
      return out;
    },
  };
}

/**
 * A dictionary-encoded string column. The dictionary grows as new values arrive; a batch whose
 * dictionary is unchanged shares the previous batch's, so the stream carries it once.
 */
function stringColumn(id: number): ColumnBuilder {
  const type = new Dictionary(new Utf8(), new Int32(), id);
  const validity = new Validity();
  const codes = new Map<string, number>();
  const values: string[] = [];
  let dictionary: Vector<Utf8> | undefined;
  let dictionarySize = -1;
  let data = new Int32Array(BATCH);
  // Neighbouring rows mostly repeat a value (a run's attributes, a series' topic and stance).
  let last: string | undefined;
  let lastCode = 0;
  return {
    type,
    set(i, v) {
      if (v === null) {
        validity.clear(i);
        return;
      }
      if (v === last) {
        data[i] = lastCode;
        return;
      }
      const s = String(v);
      let code = codes.get(s);
      if (code === undefined) {
        code = values.push(s) - 1;
        codes.set(s, code);
      }
      last = s;
      lastCode = code;
      data[i] = code;
    },
    finish(length) {
      if (values.length !== dictionarySize) {
        dictionary = vectorFromArray(values, new Utf8());
        dictionarySize = values.length;
      }
      const out = makeData({ type, length, ...validity.take(length), data: data.slice(0, length), dictionary });
      data = new Int32Array(BATCH);
      return out;
    },
  };
}

/**
 * Writes `rows` to `file` as an Arrow IPC stream, calling `pause` between slices of rows so that
 * other work gets its turn. A row is its values in the order of `columns`, given in parts (a
 * run's attributes, then the row's own values) so that no row needs an array of its own.
 */
export async function writeArrowRows(
  file: string,
  columns: readonly (readonly [string, ColumnType])[],
  rows: Iterable<readonly RowValues[]>,
  pause: () => Promise<void>,
): Promise<number> {
  const builders = columns.map(([, type], i) => (type === 'VARCHAR' ? stringColumn(i) : numberColumn(type)));
  const schema = new Schema(columns.map(([name], i) => new Field(name, builders[i]!.type, true)));
  const fd = fs.openSync(file, 'w');
  try {
    const writer = new RecordBatchStreamWriter();
    writer.reset(new FileSink(fd) as AsyncByteQueue, schema);
    let filled = 0;
    let total = 0;
    const flush = () => {
      const children = builders.map((b) => b.finish(filled));
      writer.write(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: filled, children })));
      total += filled;
      filled = 0;
    };
    for (const parts of rows) {
      let c = 0;
      for (const part of parts) for (const v of part) builders[c++]!.set(filled, v ?? null);
      if (++filled === BATCH) flush();
      if (filled % 1024 === 0) await pause();
    }
    if (filled > 0) flush();
    writer.finish();
    fs.fsyncSync(fd);
    return total;
  } finally {
    fs.closeSync(fd);
  }
}
