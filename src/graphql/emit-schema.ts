/** Writes schema/schema.graphql from the code (npm run schema:emit); the test suite checks it is current. */
import fs from 'node:fs';
import path from 'node:path';
import { printSchema } from 'graphql';
import { ROOT } from '../paths';
import { createSchema } from './schema';

export const SCHEMA_FILE = path.join(ROOT, 'schema', 'schema.graphql');
export const HEADER = '# Generated from the resolvers by `npm run schema:emit`. Do not edit.\n\n';

export async function renderSchemaFile(): Promise<string> {
  return HEADER + printSchema(await createSchema(null)) + '\n';
}

if (require.main === module) {
  void renderSchemaFile().then((text) => {
    fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
    fs.writeFileSync(SCHEMA_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
  });
}
