/** Runs the compiled CLI (dist/src/cli.js, built by test/global-setup.js) as a real process. */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../../src/paths';

export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI run: the default database is never the developer's ./data file. */
export function cliEnv(cwd: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, DRIFT_DB: path.join(cwd, 'default.duckdb'), DEBUG: '', ...extra };
}

export function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: cliEnv(cwd, env) });
}

/** Starts the CLI without waiting; the promise settles when the process exits. */
export function startCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cliEnv(cwd, env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export interface Holder {
  /** Closes the database in the holding process and waits for it to exit. */
  release(): Promise<void>;
}

/**
 * Opens a DuckDB file read-write in another process, as the server does, and keeps it open until
 * released: the file lock is then held by someone else, which is what the CLI must report.
 */
export function holdDatabase(file: string): Promise<Holder> {
  const script = `
    const { DuckDBInstance } = require(${JSON.stringify(require.resolve('@duckdb/node-api'))});
    DuckDBInstance.create(${JSON.stringify(file)}).then((db) => {
      process.stdout.write('holding\\n');
      process.stdin.on('end', () => { db.closeSync(); process.exit(0); }).resume();
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const release = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('holding')) resolve({ release });
    });
    void exited.then(() => reject(new Error(`could not hold ${file}`)));
  });
}
