/**
 * Query parameters of the export endpoint, read as the arguments of the GraphQL field they
 * mirror: the same names, the same types (coerced by graphql-js against the schema's own
 * argument types) and the same bounds (the argument classes' class-validator rules), so an
 * export means exactly what the GraphQL query with those arguments means, and is refused with
 * the same message. A run filter field is given as a parameter of its own (`lab=`, `model=`,
 * ...); repeating a parameter makes a list.
 */
import { validate } from 'class-validator';
import {
  type GraphQLError,
  coerceInputValue,
  getNamedType,
  isInputObjectType,
  isLeafType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { UserInputError } from '../errors';
import { DriftArgs, SelectionArgs, TrajectoryArgs } from '../graphql/analysis/analysis.args';
import { RunFilter } from '../graphql/catalog/catalog.types';
import { describeValidation, type ValidationErrorLike } from '../graphql/errors';

export const EXPORT_TABLES = ['observations', 'prompt-means', 'trajectories', 'drift-metrics', 'stage-attribution'] as const;
export type ExportTable = (typeof EXPORT_TABLES)[number];

/** The GraphQL field whose arguments a table takes, its args class, and arguments it leaves out. */
const MIRRORS: Record<ExportTable, { field: string; args: new () => SelectionArgs; without: string[] }> = {
  observations: { field: 'stageAttribution', args: SelectionArgs, without: ['confidence', 'stances'] },
  'prompt-means': { field: 'stageAttribution', args: SelectionArgs, without: ['confidence', 'stances'] },
  trajectories: { field: 'trajectories', args: TrajectoryArgs, without: ['smoothing'] },
  'drift-metrics': { field: 'driftMetrics', args: DriftArgs, without: [] },
  'stage-attribution': { field: 'stageAttribution', args: SelectionArgs, without: [] },
};

/** Parameters that are not arguments: the format. */
const OWN = new Set(['format']);

/** A query-string value as the JSON input graphql-js coerces: numbers and booleans as such. */
function jsonish(raw: string, type: GraphQLInputType): unknown {
  const named = getNamedType(type);
  if (named.name === 'Float' || named.name === 'Int') return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (named.name === 'Boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

/** Coerces one argument's values; a list type takes every repetition, any other type one. */
function coerce(name: string, raws: string[], type: GraphQLInputType): unknown {
  const listy = type.toString().includes('[');
  if (!listy && raws.length > 1) throw new UserInputError(`${name} takes one value; it was given ${raws.length}`, name);
  const value = listy ? raws.map((r) => jsonish(r, type)) : jsonish(raws[0]!, type);
  const errors: string[] = [];
  const out = coerceInputValue(value, type, (path, _invalid, error: GraphQLError) =>
    errors.push(`${[name, ...path.slice(1)].join('.')}: ${error.message}`),
  );
  if (errors.length) throw new UserInputError(`invalid parameter ${errors.join('; ')}`, name);
  return out;
}

export interface ExportRequest {
  table: ExportTable;
  /** The arguments, as the GraphQL resolver receives them (args class instance, validated). */
  args: SelectionArgs & Partial<TrajectoryArgs> & Partial<DriftArgs>;
}

/** Reads and validates the parameters of an export of `table`. */
export async function parseExport(schema: GraphQLSchema, table: string, query: URLSearchParams): Promise<ExportRequest> {
  if (!(EXPORT_TABLES as readonly string[]).includes(table)) {
    throw new UserInputError(`unknown table "${table}"; export one of ${EXPORT_TABLES.join(', ')}`, 'table');
  }
  const mirror = MIRRORS[table as ExportTable];
  const field = schema.getQueryType()!.getFields()[mirror.field]!;
  const args = field.args.filter((a) => !mirror.without.includes(a.name));
  const filterType = args.find((a) => a.name === 'runFilter')!.type;
  const filterFields = isInputObjectType(getNamedType(filterType))
    ? Object.values((getNamedType(filterType) as never as { getFields(): Record<string, GraphQLArgument> }).getFields())
    : [];

  const known = new Map<string, { arg: GraphQLArgument; inFilter: boolean }>();
  for (const a of args) if (a.name !== 'runFilter' && isLeafType(getNamedType(a.type))) known.set(a.name, { arg: a, inFilter: false });
  for (const f of filterFields) known.set(f.name, { arg: f, inFilter: true });

  const values: Record<string, unknown> = {};
  const filter: Record<string, unknown> = {};
  for (const name of new Set(query.keys())) {
    if (OWN.has(name)) continue;
    const k = known.get(name);
    if (!k) {
      throw new UserInputError(`unknown parameter "${name}" for ${table}; it takes format and ${[...known.keys()].join(', ')}`, name);
    }
    (k.inFilter ? filter : values)[name] = coerce(name, query.getAll(name), k.arg.type);
  }
  // Defaults as GraphQL applies them (arguments a table does not take included: they are unused).
  for (const a of field.args) if (values[a.name] === undefined && a.defaultValue !== undefined) values[a.name] = a.defaultValue;
  for (const f of filterFields)
    if (Object.keys(filter).length && filter[f.name] === undefined && f.defaultValue !== undefined) filter[f.name] = f.defaultValue;

  // Instances without running the constructors, as type-graphql makes them: an argument left
  // out is absent, not present and undefined.
  const instance = Object.assign(Object.create(mirror.args.prototype as object) as object, values) as unknown as ExportRequest['args'];
  if (Object.keys(filter).length) {
    instance.runFilter = Object.assign(Object.create(RunFilter.prototype as object) as object, filter) as unknown as RunFilter;
  }
  // The settings type-graphql validates arguments with (forbidUnknownValues as in graphql/schema.ts).
  const settings = { forbidUnknownValues: false, skipMissingProperties: true };
  const problems = describeValidation((await validate(instance, settings)) as ValidationErrorLike[]);
  if (problems.length) {
    throw new UserInputError(`invalid arguments: ${problems.map((p) => p.message).join('; ')}`, problems[0]!.path);
  }
  return { table: table as ExportTable, args: instance };
}
