/**
 * A throwaway PostgreSQL 15 for tests: `initdb` into a temporary folder (run as the `postgres`
 * user when the tests run as root, since initdb refuses root), `pg_ctl start` listening only on a
 * Unix socket in that folder (no TCP port to collide with anything) with trust authentication,
 * and `stop` to shut it down and remove the folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  url: string;
  /** Stops the server only (`pg_ctl stop -m fast`), keeping its data. */
  halt(): void;
  /** Starts it again on the same data and socket. */
  resume(): void;
  stop(): void;
}

/** Runs a PostgreSQL binary, as the `postgres` user when this process is root. */
function pg(bin: string, args: string[]): void {
  const cmd = path.join(BIN, bin);
  const root = process.getuid?.() === 0;
  execFileSync(root ? 'runuser' : cmd, root ? ['-u', 'postgres', '--', cmd, ...args] : args, { stdio: 'pipe' });
}

export function startPostgres(): TestPostgres {
  if (!fs.existsSync(path.join(BIN, 'initdb'))) {
    throw new Error(`PostgreSQL 15 is not installed at ${BIN} (on Debian: apt-get install postgresql; or set PG_BIN)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftql-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  pg('initdb', ['-D', path.join(dir, 'data'), '-U', 'driftql', '--auth=trust', '--no-sync']);
  const start = () =>
    pg('pg_ctl', [
      '-D',
      path.join(dir, 'data'),
      '-o',
      `-k ${dir} -c listen_addresses='' -c fsync=off`,
      '-l',
      path.join(dir, 'pg.log'),
      '-w',
      'start',
    ]);
  start();
  return {
    url: `postgres://driftql@localhost/postgres?host=${encodeURIComponent(dir)}`,
    halt() {
      pg('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
    },
    resume: start,
    stop() {
      try {
        pg('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
      } catch {
        // already stopped (halt)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
