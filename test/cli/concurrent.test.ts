/**
 * Two ingests started at once into a database file that does not exist yet. Each builds the new
 * file under a temporary name and moves it into place only if the name is still free, so neither
 * can delete or overwrite the other's result: the second either adds its dataset to the first's
 * file or, if it finds the file held, says so and exits non-zero, and a re-run succeeds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { smallBundle, writeBundle } from '../helpers/bundles';
import { runCli, startCli } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';
import { snapshotFile } from '../ingest/db-snapshot';

const root = tempDir('driftql-cli-race-');
const LOCKED = /is in use by another driftql process \(the server or another ingest\); stop it or wait/;

async function datasetNames(dbFile: string): Promise<string[]> {
  const r = runCli(root, ['datasets', 'list', '--db', dbFile, '--json']);
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as { name: string }[]).map((d) => d.name).sort();
}

it('two ingests racing to create the same file both end up in it', async () => {
  const bundles = {
    first: writeBundle(path.join(root, 'first'), smallBundle({ lab: 'lab-r', name: 'first', seed: 1 })),
    second: writeBundle(path.join(root, 'second'), smallBundle({ lab: 'lab-r', name: 'second', seed: 2 })),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    const dbFile = path.join(root, `race-${attempt}.duckdb`);
    const names = Object.keys(bundles) as (keyof typeof bundles)[];
    const results = await Promise.all(names.map((name) => startCli(root, ['ingest', bundles[name], '--db', dbFile])));

    const succeeded = names.filter((_, i) => results[i]!.status === 0);
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    results.forEach((r) => {
      if (r.status !== 0) {
        expect(r.stderr).toMatch(LOCKED); // the only acceptable failure
        expect(r.stderr).not.toMatch(/^\s+at /m);
      } else expect(r.stdout).toMatch(/^ingested: lab-r\//m);
    });
    // The file exists and holds every dataset whose ingest reported success.
    expect(fs.existsSync(dbFile)).toBe(true);
    expect(await datasetNames(dbFile)).toEqual(expect.arrayContaining(succeeded));
    // Running the ones that failed again leaves both datasets in the file.
    for (const name of names.filter((n) => !succeeded.includes(n))) {
      expect(runCli(root, ['ingest', bundles[name], '--db', dbFile, '--quiet']).status).toBe(0);
    }
    expect(await datasetNames(dbFile)).toEqual(['first', 'second']);
    expect((await snapshotFile(dbFile)).observations!.rows).toBe(160);
    // No temporary file is left behind.
    expect(fs.readdirSync(root).filter((f) => f.startsWith(`race-${attempt}.duckdb.`))).toEqual([]);
  }
});
