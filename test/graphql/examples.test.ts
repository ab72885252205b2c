/** Every example operation GraphiQL opens with runs without errors on the demo data. */
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { EXAMPLES } from '../../src/graphiql';
import { loadDemo } from '../../src/seed';
import { tempDir } from '../helpers/tmp';

describe('GraphiQL examples on the demo seed', () => {
  const dir = tempDir();
  let db: DriftDb;
  let app: Awaited<ReturnType<typeof createApp>>;
  let url: string;

  beforeAll(async () => {
    db = await DriftDb.open(path.join(dir, 'demo.duckdb'));
    await migrate(db);
    await loadDemo(db);
    app = await createApp(db, { DRIFT_MAX_COST: 2_000_000, DRIFT_MAX_DEPTH: 8 });
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await app.stop();
    await db.close();
  });

  it.each(EXAMPLES.map((e) => [e.title, e.query]))('%s', async (_title, query) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const body = (await res.json()) as { data?: Record<string, unknown[] | object>; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    for (const value of Object.values(body.data!)) {
      if (Array.isArray(value)) expect(value.length).toBeGreaterThan(0);
    }
  });

  it('shows the paper’s story: DPO on value-gap data moves support most, PPO least; SFT acts early', async () => {
    const query = `{ groupedTrajectories(groupBy: [ALGORITHM, DATASET], stances: [SUPPORT], runFilter: { stageDataset: "synth-support" }, gridPoints: 5) {
      levels { factor level } topic stages { stageKind drift { magnitude { mean } driftTime { mean } } } } }`;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const body = (await res.json()) as {
      data: {
        groupedTrajectories: {
          levels: { factor: string; level: string }[];
          stages: { stageKind: string; drift: { magnitude: { mean: number }; driftTime: { mean: number } } | null }[];
        }[];
      };
    };
    const mean = (alg: string, kind: string, f: (d: { magnitude: { mean: number }; driftTime: { mean: number } }) => number) => {
      const xs = body.data.groupedTrajectories
        .filter((g) => g.levels.some((l) => l.factor === 'ALGORITHM' && l.level === alg))
        .map((g) => f(g.stages.find((st) => st.stageKind === kind)!.drift!));
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const po = (alg: string) => mean(alg, 'PREFERENCE', (d) => d.magnitude.mean);
    expect(po('dpo')).toBeGreaterThan(po('simpo'));
    expect(po('simpo')).toBeGreaterThan(po('ppo'));
    expect(po('ppo')).toBeGreaterThan(0);
    // SFT reaches its extreme early: mean drift time well under half the SFT steps.
    expect(mean('dpo', 'SFT', (d) => d.driftTime.mean)).toBeLessThan(0.5);
  });
});
