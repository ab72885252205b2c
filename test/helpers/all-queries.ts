/**
 * One operation per field of `Query` in schema/schema.graphql, selecting every field reachable
 * without arguments (to a depth), so that comparing two servers' answers covers the whole read
 * API, including fields added later. Fields that need arguments get them from `ARGS`; ones that
 * need a key (API keys, jobs) are left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';

const SCHEMA_FILE = path.join(__dirname, '..', '..', 'schema', 'schema.graphql');

/** Arguments for fields that require them (by `Type.field`); `$RUN` becomes a run id. */
const ARGS: Record<string, string> = {
  'Query.effectDecomposition': '(input: { outcome: DRIFT_MAGNITUDE, stance: SUPPORT, factors: [ALGORITHM, DATASET] })',
  'Query.groupedTrajectories': '(groupBy: [ALGORITHM], gridPoints: 9)',
  'Query.run': '(id: "$RUN")',
  'Query.runs': '(first: 100)',
};
const SKIP = new Set(['Query.apiKeys', 'Query.ingestJob', 'Query.ingestJobs']);

function requiredArgs(field: GraphQLField<unknown, unknown>): boolean {
  return field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined);
}

function selection(type: GraphQLOutputType, depth: number): string | null {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) return '';
  if (depth <= 0) return null;
  if (isUnionType(named) || isInterfaceType(named)) {
    const parts = (isUnionType(named) ? named.getTypes() : []).map((t) => {
      const inner = selection(t, depth);
      return inner ? `... on ${t.name} ${inner}` : '';
    });
    return `{ __typename ${parts.join(' ')} }`;
  }
  if (!isObjectType(named)) return null;
  const fields = Object.values(named.getFields())
    .filter((f) => !requiredArgs(f) && !SKIP.has(`${named.name}.${f.name}`))
    .map((f) => {
      const inner = selection(f.type, depth - 1);
      return inner === null ? '' : `${f.name}${inner ? ` ${inner}` : ''}`;
    })
    .filter(Boolean);
  return fields.length ? `{ ${fields.join(' ')} }` : null;
}

export interface NamedQuery {
  name: string;
  query: string;
}

/** Every Query field as an operation; `runId` fills the ones that need a run. */
export function allQueries(
  runId: string,
  depth = 5,
  schema: GraphQLSchema = buildSchema(fs.readFileSync(SCHEMA_FILE, 'utf8')),
): NamedQuery[] {
  const query = schema.getQueryType()!;
  const out: NamedQuery[] = [];
  for (const field of Object.values(query.getFields())) {
    const key = `Query.${field.name}`;
    if (SKIP.has(key)) continue;
    const args = ARGS[key];
    if (requiredArgs(field) && !args) throw new Error(`${key} needs arguments: add them to ARGS in test/helpers/all-queries.ts`);
    const inner = selection(field.type, depth);
    out.push({ name: field.name, query: `{ ${field.name}${(args ?? '').replace('$RUN', runId)}${inner ? ` ${inner}` : ''} }` });
  }
  return out;
}
