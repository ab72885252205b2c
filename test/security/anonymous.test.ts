/** DRIFT_ANONYMOUS_READ=false: requests without a key are refused; keys work as usual. */
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { KeyService } from '../../src/auth/keys.service';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ingestBundle } from '../../src/ingest/ingest';
import { smallBundle, writeBundle } from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';

describe('a server that answers only requests with a key', () => {
  const dir = tempDir();
  let db: DriftDb;
  let app: App;
  let url = '';
  let key = '';

  beforeAll(async () => {
    db = await DriftDb.open(path.join(dir, 'closed.duckdb'));
    await migrate(db);
    await ingestBundle(db, writeBundle(path.join(dir, 'b'), smallBundle({ lab: 'lab-a', name: 'open-data' })));
    key = (await new KeyService(db).create('lab-z', 'reader')).key;
    app = await createApp(db, { DRIFT_MAX_COST: 2_000_000, DRIFT_MAX_DEPTH: 8, DRIFT_ANONYMOUS_READ: 'false' });
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.stop();
    await db?.close();
  });

  const post = (headers: Record<string, string>) =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{"query":"{ datasets { name } }"}',
    });

  it('refuses an anonymous request with UNAUTHENTICATED and 401, and serves a keyed one', async () => {
    const anonymous = await post({});
    expect(anonymous.status).toBe(401);
    const body = (await anonymous.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(body.errors[0]!.message).toMatch(/does not answer requests without a key/);
    const keyed = await post({ authorization: `Bearer ${key}` });
    expect(keyed.status).toBe(200);
    expect(await keyed.json()).toEqual({ data: { datasets: [{ name: 'open-data' }] } });
    // Health checks need no key.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
