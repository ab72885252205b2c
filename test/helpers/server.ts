import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp, type App } from '../../src/app';
import { DriftDb, type OpenOptions } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ingestBundle } from '../../src/ingest/ingest';

export const CONFORMANCE = path.join(__dirname, '..', 'fixtures', 'conformance');

export interface TestServer {
  url: string;
  db: DriftDb;
  app: App;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

export interface GqlResponse<T> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

/** A real HTTP server on a random port over a real DuckDB file with the given bundles ingested. */
export async function startServer(dbFile: string, bundles: string[] = [CONFORMANCE], open: OpenOptions = {}): Promise<TestServer> {
  const db = await DriftDb.open(dbFile, open);
  await migrate(db);
  for (const b of bundles) await ingestBundle(db, b);
  const app = await createApp(db, { DRIFT_MAX_COST: 2_000_000, DRIFT_MAX_DEPTH: 8 });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    db,
    app,
    async gql(query, variables) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) };
    },
    async close() {
      await app.stop();
      await db.close();
    },
  };
}
