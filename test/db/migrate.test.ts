import fs from 'node:fs';
import path from 'node:path';
import { DriftDb } from '../../src/db/client';
import { checkDuckDbCompatible, migrate } from '../../src/db/migrate';
import { MIGRATIONS_DIR } from '../../src/paths';
import { tempDir } from '../helpers/tmp';
import { CONFORMANCE } from '../helpers/server';
import { ingestBundle } from '../../src/ingest/ingest';

describe('migrations', () => {
  const dir = tempDir();

  it('applies the real migrations folder once, then is a no-op', async () => {
    const db = await DriftDb.open(path.join(dir, 'm.duckdb'));
    try {
      const first = await migrate(db);
      expect(first.applied.length).toBeGreaterThan(0);
      const tables = (await db.query('SELECT table_name FROM information_schema.tables ORDER BY 1')).map((r) => r.table_name);
      expect(tables).toEqual(
        expect.arrayContaining([
          'labs',
          'datasets',
          'runs',
          'stages',
          'topics',
          'prompts',
          'observations',
          'prompt_means',
          'checkpoint_values',
          'meta',
        ]),
      );
      const second = await migrate(db);
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied).toBe(first.applied.length);
    } finally {
      await db.close();
    }
  });

  it('refuses Postgres-only DDL before running anything', () => {
    expect(() => checkDuckDbCompatible('x', ['CREATE INDEX "a" ON "t" USING btree ("c")'])).toThrow(/USING btree/);
    expect(() => checkDuckDbCompatible('x', ['CREATE TABLE "t" ("id" serial PRIMARY KEY)'])).toThrow(/serial/);
  });

  it('every generated migration is runnable by DuckDB', () => {
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((n) => n.endsWith('.sql'))) {
      const text = fs.readFileSync(path.join(MIGRATIONS_DIR, f), 'utf8');
      expect(() => checkDuckDbCompatible(f, text.split('--> statement-breakpoint'))).not.toThrow();
    }
  });

  it('upgrades a database made by the first migration only, keeping its data', async () => {
    // A migrations folder as it was when only the first migration existed.
    const old = path.join(dir, 'old-migrations');
    fs.mkdirSync(path.join(old, 'meta'), { recursive: true });
    const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as {
      entries: { tag: string }[];
    };
    const first = journal.entries[0]!;
    fs.writeFileSync(path.join(old, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: [first] }));
    fs.copyFileSync(path.join(MIGRATIONS_DIR, `${first.tag}.sql`), path.join(old, `${first.tag}.sql`));

    const db = await DriftDb.open(path.join(dir, 'upgrade.duckdb'));
    try {
      await migrate(db, old);
      await ingestBundle(db, CONFORMANCE);
      const before = await db.query('SELECT count(*) AS n FROM observations');
      const report = await migrate(db);
      expect(report.applied).toHaveLength(journal.entries.length - 1);
      expect(await db.query('SELECT count(*) AS n FROM observations')).toEqual(before);
      const [seed] = await db.query(`SELECT data_type FROM information_schema.columns WHERE table_name = 'runs' AND column_name = 'seed'`);
      expect(seed!.data_type).toBe('BIGINT');
    } finally {
      await db.close();
    }
  });

  it('closes cleanly so the file can be reopened', async () => {
    const file = path.join(dir, 'reopen.duckdb');
    const a = await DriftDb.open(file);
    await migrate(a);
    await a.close();
    const b = await DriftDb.open(file);
    expect((await migrate(b)).applied).toEqual([]);
    await b.close();
  });
});
