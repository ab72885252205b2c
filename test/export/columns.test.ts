/**
 * Arrow streams written from rows in memory (src/export/columns.ts), read back by apache-arrow:
 * every value and every null comes back as written, across batches whose string dictionaries grow.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataType, tableFromIPC } from 'apache-arrow';
import { writeArrowRows, type ColumnType, type RowValues } from '../../src/export/columns';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();
const COLUMNS: [string, ColumnType][] = [
  ['run', 'VARCHAR'],
  ['topic', 'VARCHAR'],
  ['step', 'BIGINT'],
  ['n', 'INTEGER'],
  ['value', 'DOUBLE'],
];

/** Row i: strings that change every few rows and, beyond the first batch, new strings; a null in each column now and then. */
function row(i: number): [RowValues, RowValues] {
  return [
    [i % 97 === 0 ? null : `run-${Math.floor(i / 1000)}`],
    [
      i % 89 === 0 ? null : `topic-${i % 7}${i > 70_000 ? '-late' : ''}`,
      i % 83 === 0 ? null : i * 20,
      i % 79 === 0 ? null : i % 50,
      i % 73 === 0 ? null : i / 7,
    ],
  ];
}

it('writes every value and null, over more than one batch', async () => {
  const rows = 150_000;
  const file = path.join(dir, 'rows.arrows');
  const written = await writeArrowRows(
    file,
    COLUMNS,
    (function* () {
      for (let i = 0; i < rows; i++) yield row(i);
    })(),
    () => Promise.resolve(),
  );
  expect(written).toBe(rows);
  const table = tableFromIPC(fs.readFileSync(file));
  expect(table.numRows).toBe(rows);
  expect(table.batches.length).toBeGreaterThan(1);
  expect(DataType.isDictionary(table.schema.fields[0]!.type)).toBe(true);
  const cols = COLUMNS.map(([name]) => table.getChild(name)!);
  for (let i = 0; i < rows; i += 1) {
    const want = row(i).flat();
    const got = cols.map((c) => {
      const v = c.get(i) as unknown;
      return typeof v === 'bigint' ? Number(v) : v;
    });
    if (JSON.stringify(got) !== JSON.stringify(want)) expect({ i, got }).toEqual({ i, got: want });
  }
});

it('writes the schema when there are no rows', async () => {
  const file = path.join(dir, 'empty.arrows');
  expect(await writeArrowRows(file, COLUMNS, [], () => Promise.resolve())).toBe(0);
  const table = tableFromIPC(fs.readFileSync(file));
  expect(table.numRows).toBe(0);
  expect(table.schema.fields.map((f) => f.name)).toEqual(COLUMNS.map(([name]) => name));
});
