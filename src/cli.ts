#!/usr/bin/env node
/**
 * The `driftql` command: ingest and validate bundles, list datasets, manage API keys, load the
 * demo seed, migrate.
 * Installed as the package's bin (`npx driftql ...`, or `npm run drift -- ...`).
 *
 * Only commander and Node built-ins load up front, so `--help` and `--version` answer at once;
 * each command loads DuckDB and the rest when it runs (./cli/commands).
 */
import { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths';

// Every running DuckDB query holds a libuv worker thread, and libuv sizes its pool once, on first
// use: set the size before anything can use the pool. ./.env may set it too, so read that first.
if (fs.existsSync('.env')) process.loadEnvFile('.env');
process.env.UV_THREADPOOL_SIZE ||= '8';

const commands = () => import('./cli/commands');

const progressTo = (quiet: boolean | undefined) => (quiet ? undefined : (msg: string) => process.stderr.write(`  ${msg}\n`));

const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const DB_OPTION = [
  '--db <file>',
  'DuckDB file (default: $DRIFT_DB or ./data/drift.duckdb; with DRIFT_CATALOG_URL and DRIFT_LAKE set and no --db: the cluster)',
] as const;

const program = new Command()
  .name('driftql')
  .description('driftql command line: check and load drift-trace/v1 bundles into the DuckDB file the server reads')
  .version(version, '-V, --version', 'print the driftql version')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  driftql validate path/to/bundle           check a bundle; writes nothing
  driftql ingest path/to/bundle             validate and load it, all or nothing
  driftql push path/to/bundle --server http://localhost:4000 --token $KEY
  driftql datasets list --db data/drift.duckdb
  driftql keys create --lab my-lab --role admin

A database file has one writer: stop the server before ingesting into its file.`,
  );

program
  .command('ingest')
  .description('validate a drift-trace/v1 bundle and load it, all or nothing')
  .argument('<bundle-dir>', 'folder holding manifest.json and the observation files')
  .option(...DB_OPTION)
  .option('--replace', 'replace a loaded dataset with the same lab, name and version but different content')
  .option('--quiet', 'no progress output')
  .action(async (dir: string, opts: { db?: string; replace?: boolean; quiet?: boolean }) =>
    (await commands()).ingest(dir, opts, progressTo(opts.quiet)),
  );

program
  .command('push')
  .description('upload a bundle to a running server and follow its ingest until it ends')
  .argument('<bundle-dir>', 'folder holding manifest.json and the observation files')
  .requiredOption('--server <url>', 'the server, e.g. http://localhost:4000')
  .option('--token <key>', "API key with the writer role for the bundle's lab (default: $DRIFT_TOKEN)")
  .option('--replace', 'replace a loaded dataset with the same lab, name and version but different content')
  .option('--dry-run', 'run every check on the server and write nothing')
  .option('--quiet', 'no progress output')
  .action(async (dir: string, opts: { server: string; token?: string; replace?: boolean; dryRun?: boolean; quiet?: boolean }) =>
    (await import('./cli/push')).push(dir, opts),
  );

program
  .command('validate')
  .description('run every check ingest makes and print what it would load; opens and writes no database file')
  .argument('<bundle-dir>', 'folder holding manifest.json and the observation files')
  .option('--quiet', 'no progress output')
  .action(async (dir: string, opts: { quiet?: boolean }) => (await commands()).validate(dir, progressTo(opts.quiet)));

const datasets = program.command('datasets').description('inspect and delete loaded datasets (datasets list | delete)');

datasets
  .command('delete')
  .description('delete one dataset version and everything derived from it (with the server stopped)')
  .argument('<id>', 'the dataset id from `driftql datasets list`')
  .option(...DB_OPTION)
  .action(async (id: string, opts: { db?: string }) => (await commands()).datasetsDelete(id, opts));

datasets
  .command('list')
  .description('list the loaded datasets (opens the file read-only)')
  .option(...DB_OPTION)
  .option('--json', 'print JSON instead of a table')
  .action(async (opts: { db?: string; json?: boolean }) => (await commands()).datasetsList(opts));

const keys = program
  .command('keys')
  .description('API keys: create, list and revoke (with the server stopped; an admin key does this on a running server)');
const keyCommands = () => import('./cli/keys');

keys
  .command('create')
  .description('create an API key for a lab; the key is printed once')
  .requiredOption('--lab <lab>', 'the lab the key belongs to')
  .requiredOption('--role <role>', 'reader, writer or admin')
  .option('--name <name>', 'a label to recognise the key by, e.g. who holds it')
  .option(...DB_OPTION)
  .action(async (opts: { lab: string; role: string; name?: string; db?: string }) => (await keyCommands()).keysCreate(opts));

keys
  .command('list')
  .description('list API keys (never the keys themselves)')
  .option(...DB_OPTION)
  .option('--json', 'print JSON instead of a table')
  .action(async (opts: { db?: string; json?: boolean }) => (await keyCommands()).keysList(opts));

keys
  .command('revoke')
  .description('revoke an API key; it stops working on the next request')
  .argument('<id>', 'the key id from `driftql keys list`')
  .option(...DB_OPTION)
  .action(async (id: string, opts: { db?: string }) => (await keyCommands()).keysRevoke(id, opts));

program
  .command('seed')
  .description('generate the deterministic demo bundle and load it')
  .option(...DB_OPTION)
  .option('--out <dir>', 'also keep the generated bundle in this folder')
  .option('--quiet', 'no progress output')
  .action(async (opts: { db?: string; out?: string; quiet?: boolean }) => (await commands()).seed(opts, progressTo(opts.quiet)));

program
  .command('compact')
  .description('give back the space deleted datasets left in the database file (with the server stopped)')
  .option(...DB_OPTION)
  .action(async (opts: { db?: string }) => (await commands()).compact(opts));

program
  .command('migrate')
  .description('apply pending migrations (the server and ingest also do this on start)')
  .option(...DB_OPTION)
  .action(async (opts: { db?: string }) => (await commands()).migrateCommand(opts));

program
  .command('migrate-to-cluster')
  .description('copy a database file (server stopped) into an empty cluster: catalogue and keys to PostgreSQL, facts to the lake')
  .option(...DB_OPTION)
  .option('--catalog <url>', 'the cluster catalogue, a postgres:// URL (default: $DRIFT_CATALOG_URL)')
  .option('--lake <dir>', "the cluster's shared Parquet folder (default: $DRIFT_LAKE)")
  .option('--quiet', 'no progress output')
  .action(async (opts: { db?: string; catalog?: string; lake?: string; quiet?: boolean }) =>
    (await commands()).migrateToCluster(opts, progressTo(opts.quiet)),
  );

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`error: ${(err as Error)?.message ?? String(err)}`);
  if (process.env.DEBUG) console.error((err as Error)?.stack);
  process.exitCode = 1;
});
