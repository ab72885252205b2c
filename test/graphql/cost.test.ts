/**
 * Hostile and heavy operations are refused before they run, from an estimate of what they would
 * produce; ordinary ones are served. Runs on the demo data (48 runs × 11 topics).
 */
import path from 'node:path';
import { isListType, isNonNullType, isObjectType, type GraphQLOutputType } from 'graphql';
import { createApp, type App } from '../../src/app';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { LIST_SIZES } from '../../src/graphql/cost';
import { createSchema } from '../../src/graphql/schema';
import { loadDemo } from '../../src/seed';
import { tempDir } from '../helpers/tmp';

const MAX_COST = 2_000_000;

describe('cost limit on the demo data', () => {
  const dir = tempDir();
  let db: DriftDb;
  let app: App;
  let url = '';

  beforeAll(async () => {
    db = await DriftDb.open(path.join(dir, 'demo.duckdb'));
    await migrate(db);
    await loadDemo(db);
    app = await createApp(db, { DRIFT_MAX_COST: MAX_COST, DRIFT_MAX_DEPTH: 8 });
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.stop();
    await db?.close();
  });

  async function post(query: string, variables?: Record<string, unknown>) {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return {
      status: res.status,
      body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] },
    };
  }

  it('refuses the all-groups grouped query at 1,000 grid points with HTTP 400, saying how to narrow it', async () => {
    const r = await post(
      '{ groupedTrajectories(groupBy: [ALGORITHM, DATASET, MODEL], gridPoints: 1000) { label stages { points { progress mean sd se ciLow ciHigh n } } } }',
    );
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(r.body.errors![0]!.message).toMatch(/would return about [\d,]+ values; the limit is 2,000,000/);
    expect(r.body.errors![0]!.message).toMatch(/gridPoints/);
  });

  it('serves the same query narrowed to one topic and a coarse grid', async () => {
    const r = await post(
      '{ groupedTrajectories(groupBy: [ALGORITHM, DATASET, MODEL], gridPoints: 20, topics: ["immigration"], stances: [SUPPORT]) { label } }',
    );
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
  });

  it('counts every alias: 100 aliases of an all-runs query are refused, one is served', async () => {
    const one = 'driftMetrics { runKey topic stance stage magnitude driftTime }';
    const single = await post(`{ ${one} }`);
    expect(single.status).toBe(200);
    const many = Array.from({ length: 100 }, (_, i) => `a${i}: ${one}`).join('\n');
    const r = await post(`{ ${many} }`);
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.message).toMatch(/would return about/);
  });

  it('refuses a document of more than 10,000 tokens before validating it', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `a${i}: driftMetrics { runKey topic stance stage magnitude driftTime }`).join('\n');
    const r = await post(`{ ${many} }`);
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(r.body.errors![0]!.message).toMatch(/tokens/);
  });

  it('costs fragments that spread each other twice per level in linear time', async () => {
    // 40 levels of doubling: 2^40 paths if walked naively. The estimate is astronomically large
    // and the request is refused, without walking them.
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1
        ? `fragment F${i} on DriftMetric { runKey magnitude }`
        : `fragment F${i} on DriftMetric { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const r = await post(`{ driftMetrics(topics: ["immigration"]) { ...F0 } }\n${fragments}`);
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('counts root fragment spreads too', async () => {
    const levels = 30;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment Q${i} on Query { driftMetrics { runKey } }` : `fragment Q${i} on Query { ...Q${i + 1} ...Q${i + 1} }`,
    ).join('\n');
    const r = await post(`{ ...Q0 }\n${fragments}`);
    expect(r.status).toBe(400);
  });

  it('serves introspection (GraphiQL needs it)', async () => {
    const r = await post('{ __schema { types { name fields { name } } } }');
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
  });
});

describe('cost model coverage', () => {
  it('has a size estimate for every list field of the schema', async () => {
    // The estimator refuses list fields it has no size for; this lists any that would be.
    const schema = await createSchema(null);
    const missing: string[] = [];
    const isList = (t: GraphQLOutputType): boolean => (isNonNullType(t) ? isList(t.ofType) : isListType(t));
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__') || type.name === 'Mutation') continue;
      for (const field of Object.values(type.getFields())) {
        if (isList(field.type) && !(`${type.name}.${field.name}` in LIST_SIZES)) missing.push(`${type.name}.${field.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
