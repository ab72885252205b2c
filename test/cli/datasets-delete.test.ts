/** `driftql datasets delete <id>` and `driftql compact`: a dataset goes, and so does its space. */
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { smallBundle, writeBundle } from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';

const root = tempDir('driftql-cli-delete-');
const db = path.join(root, 'life.duckdb');
const drift = (...args: string[]) => runCli(root, [...args, '--db', db]);

it('deletes one dataset version, keeps the others, and compacts the file afterwards', () => {
  expect(drift('seed', '--quiet').status).toBe(0);
  const other = writeBundle(path.join(root, 'other'), smallBundle({ lab: 'lab-x', name: 'kept' }));
  expect(drift('ingest', other, '--quiet').status).toBe(0);
  const listed = JSON.parse(drift('datasets', 'list', '--json').stdout) as { id: number; name: string; runCount: number }[];
  const demo = listed.find((d) => d.name === 'value-drifts-demo')!;

  const deleted = drift('datasets', 'delete', String(demo.id));
  expect(deleted.status).toBe(0);
  expect(deleted.stdout).toMatch(
    new RegExp(`^deleted dataset ${demo.id}: driftql-demo/value-drifts-demo v1 \\(48 runs, 76,032 observations\\)$`, 'm'),
  );
  const left = JSON.parse(drift('datasets', 'list', '--json').stdout) as { name: string }[];
  expect(left.map((d) => d.name)).toEqual(['kept']);

  const before = fs.statSync(db).size;
  const compacted = drift('compact');
  expect(compacted.status).toBe(0);
  expect(fs.statSync(db).size).toBeLessThan(before);
  expect((JSON.parse(drift('datasets', 'list', '--json').stdout) as { name: string }[]).map((d) => d.name)).toEqual(['kept']);
  // The compacted file takes new data as before.
  expect(drift('seed', '--quiet').status).toBe(0);

  const missing = drift('datasets', 'delete', '999');
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/no dataset with id 999/);
});
