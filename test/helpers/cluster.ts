/**
 * A throwaway cluster of real processes: PostgreSQL 15 (postgres.ts), a lake folder, and
 * replicas started as `npm start` starts the server (`node dist/src/server.js`) in cluster mode.
 * Keys are made with the compiled CLI against the same catalogue, as an operator would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './cli';
import { startPostgres, type TestPostgres } from './postgres';
import { startServerProcess, type ServerProcess } from './process';

export interface TestCluster {
  pg: TestPostgres;
  lake: string;
  env: Record<string, string>;
  replicas: ServerProcess[];
  /** Starts one more replica (e.g. to replace a killed one). */
  addReplica(): Promise<ServerProcess>;
  /** `driftql keys create` against the catalogue; returns the key. */
  key(lab: string, role: 'reader' | 'writer' | 'admin'): string;
  stop(): Promise<void>;
}

export async function startCluster(dir: string, replicas = 2, extraEnv: Record<string, string> = {}): Promise<TestCluster> {
  const pg = startPostgres();
  const lake = path.join(dir, 'lake');
  const env = {
    DRIFT_CATALOG_URL: pg.url,
    DRIFT_LAKE: lake,
    DRIFT_POLL_MS: '500',
    DRIFT_MAINTENANCE_MS: '1000',
    DRIFT_RATE_LIMIT: '0',
    ...extraEnv,
  };
  const started: ServerProcess[] = [];
  let n = 0;
  const addReplica = async () => {
    const i = n++;
    const p = await startServerProcess({ ...env, DRIFT_UPLOAD_DIR: path.join(dir, `uploads-${i}`) }, 60_000);
    started.push(p);
    return p;
  };
  try {
    for (let i = 0; i < replicas; i++) await addReplica();
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    pg.stop();
    throw err;
  }
  return {
    pg,
    lake,
    env,
    replicas: started,
    addReplica,
    key(lab, role) {
      const r = runCli(dir, ['keys', 'create', '--lab', lab, '--role', role], env);
      const key = /dql_[A-Za-z0-9_-]{43}/.exec(r.stdout)?.[0];
      if (r.status !== 0 || !key) throw new Error(`keys create failed (${r.status}): ${r.stdout}\n${r.stderr}`);
      return key;
    },
    async stop() {
      await Promise.all(started.map((p) => p.stop()));
      pg.stop();
      fs.rmSync(lake, { recursive: true, force: true });
    },
  };
}

/** Resolves when `check` returns a value other than undefined, polling every `everyMs`; throws after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
