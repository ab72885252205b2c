import fs from 'node:fs';
import { renderSchemaFile, SCHEMA_FILE } from '../../src/graphql/emit-schema';

describe('schema/schema.graphql', () => {
  it('matches the schema the resolvers build (run `npm run schema:emit` after changing the API)', async () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(await renderSchemaFile());
  });

  it('carries the names clients rely on', () => {
    const text = fs.readFileSync(SCHEMA_FILE, 'utf8');
    for (const name of [
      'datasets',
      'runs(',
      'run(',
      'topics(',
      'trajectories(',
      'driftMetrics(',
      'stageAttribution(',
      'enum Stance',
      'SUPPORT',
      'NEUTRAL',
      'OPPOSE',
      'hasNextPage',
      'endCursor',
    ]) {
      expect(text).toContain(name);
    }
  });
});
