/**
 * What a request will produce, estimated before it runs: the number of values in the response.
 * Every list field multiplies its children by how many items it will return, worked out from the
 * arguments and the caller's catalogue (runs selected × topics × stances × points or grid), and
 * every alias and fragment spread counts. Fragments are costed once per enclosing root field, so
 * the walk takes time linear in the query text even when fragments spread each other twice per
 * level. A list field without an estimate is refused: nothing is served unchecked.
 */
import {
  Kind,
  getNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { STANCES, type GroupFactor, type StageKind } from '../domain';
import type { RunSelector, ScopedCatalog } from '../services/catalog.service';

/** How many items the list fields below one root field return. */
interface Sizes {
  runs: number;
  topics: number;
  stances: number;
  /** Points of one trajectory. */
  points: number;
  /** Stages (or aligned slots) of one run or group. */
  stages: number;
  /** Grid points of one grouped stage. */
  grid: number;
  /** Rows of the root list itself. */
  rows: number;
  /** Factors of an effect decomposition or a grouping. */
  factors: number;
  /** Groups of a grouped query (1 elsewhere): its runs are split among them. */
  groups: number;
}

export interface CostEstimate {
  /** Estimated values in the response. */
  total: number;
  /** The root field (by response name) that contributes most, with its estimate. */
  largest: { field: string; cost: number; sizes: Partial<Sizes> } | null;
}

/** Thrown for a list field that has no estimate (a schema change without one here). */
export class UnestimableError extends Error {}

/** Cost of the introspection fields GraphiQL and code generators ask for; bounded by the schema. */
const INTROSPECTION_COST = 20_000;

type Args = Record<string, unknown>;

/** Items returned by each list field, given the sizes of the enclosing root field. */
export const LIST_SIZES: Record<string, (s: Sizes, args: Args) => number> = {
  'Query.datasets': (s) => s.rows,
  'Query.topics': (s) => s.rows,
  'Query.trajectories': (s) => s.rows,
  'Query.driftMetrics': (s) => s.rows,
  'Query.stageAttribution': (s) => s.rows,
  'Query.groupedTrajectories': (s) => s.rows,
  'Query.attributionSummary': (s) => s.rows,
  'AttributionSummary.levels': (s) => s.factors,
  'AttributionSummary.kinds': (s) => s.stages,
  'Query.apiKeys': (s) => s.rows,
  'Query.ingestJobs': (s) => s.rows,
  'IngestJob.problems': () => 20,
  'RunConnection.edges': (s) => s.rows,
  'RunConnection.nodes': (s) => s.rows,
  'Run.stages': (s) => s.stages,
  'Stage.evaluatedSteps': (s) => s.points,
  'Trajectory.points': (s) => s.points,
  'StageAttribution.stages': (s) => s.stages,
  'GroupedTrajectory.levels': (s) => s.factors,
  // The groups split the runs among them, so per group these hold runs / groups on average.
  'GroupedTrajectory.runIds': (s) => Math.ceil(s.runs / s.groups),
  'GroupedTrajectory.runKeys': (s) => Math.ceil(s.runs / s.groups),
  'GroupedTrajectory.labs': (s) => Math.ceil(s.runs / s.groups),
  'GroupedTrajectory.stages': (s) => s.stages,
  'GroupedStage.stageNames': (s) => Math.ceil(s.runs / s.groups),
  'GroupedStage.points': (s) => s.grid,
  'EffectDecomposition.factors': (s) => s.factors,
  'EffectDecomposition.terms': (s) => 2 ** s.factors,
  'EffectDecomposition.cells': (s) => s.runs * s.topics,
  'EffectDecomposition.marginalMeans': (s) => s.runs * s.topics,
  'EffectDecomposition.observations': (s) => s.runs * s.topics,
  'EffectDecomposition.excludedRuns': (s) => s.runs,
  'EffectCell.levels': (s) => s.factors,
  'PairwiseResultType.comparisons': (s) => s.runs * s.topics,
};

function unwrapListCount(type: GraphQLOutputType): number {
  let t: GraphQLOutputType = type;
  let lists = 0;
  for (;;) {
    if (isNonNullType(t)) t = t.ofType;
    else if (isListType(t)) {
      lists++;
      t = t.ofType as GraphQLOutputType;
    } else return lists;
  }
}

/** The selection arguments of an analytic root field (effect decomposition nests them in `input`). */
function selectionOf(field: string, args: Args): Args {
  return field === 'effectDecomposition' ? ((args.input as Args | undefined) ?? {}) : args;
}

/** Sizes for one root field, from its arguments and the caller's catalogue. */
async function rootSizes(field: string, args: Args, catalog: ScopedCatalog): Promise<Sizes> {
  const base: Sizes = { runs: 1, topics: 1, stances: 1, points: 1, stages: 1, grid: 1, rows: 1, factors: 1, groups: 1 };
  switch (field) {
    case 'datasets':
      return { ...base, rows: await catalog.datasetCount() };
    case 'topics':
      return { ...base, rows: (await catalog.topicNames()).length };
    case 'apiKeys':
      return { ...base, rows: 1000 };
    case 'ingestJobs':
      return { ...base, rows: Number(args.first ?? 20) };
    case 'runs': {
      const ids = await catalog.runIds((args.filter as RunSelector | undefined) ?? {});
      const shape = await catalog.shapeOf(ids);
      return { ...base, rows: Math.min(Number(args.first ?? 50), ids.length), stages: shape.maxStages, points: shape.maxCheckpoints };
    }
    case 'run': {
      const all = await catalog.runIds({});
      const shape = await catalog.shapeOf(all);
      return { ...base, stages: shape.maxStages, points: shape.maxCheckpoints };
    }
    case 'trajectories':
    case 'driftMetrics':
    case 'stageAttribution':
    case 'groupedTrajectories':
    case 'attributionSummary':
    case 'effectDecomposition': {
      const sel = selectionOf(field, args);
      const filtered = await catalog.runIds((sel.runFilter as RunSelector | undefined) ?? {}, 'runFilter');
      const named = sel.runIds as string[] | undefined;
      const runs = named ? Math.min(named.length, filtered.length) : filtered.length;
      const topics = (sel.topics as string[] | undefined)?.length ?? (await catalog.topicNames()).length;
      const stanceArg = sel.stances as string[] | undefined;
      const stances = field === 'effectDecomposition' ? 1 : (stanceArg?.length ?? STANCES.length);
      const shape = await catalog.shapeOf(filtered);
      const maxPoints = args.maxPoints as number | null | undefined;
      const points = maxPoints != null ? Math.min(maxPoints, shape.maxCheckpoints) : shape.maxCheckpoints;
      const grouped = field === 'groupedTrajectories' || field === 'attributionSummary';
      const groupBy = ([] as GroupFactor[]).concat((args.groupBy as GroupFactor[] | GroupFactor | undefined) ?? []);
      const factors = grouped ? groupBy.length : ((sel.factors as unknown[] | undefined)?.length ?? 2);
      const cells = runs * topics * stances;
      if (grouped) {
        const group = await catalog.groupShapeOf(filtered, groupBy, (args.stageKind as StageKind | undefined) ?? 'preference');
        const groups = Math.max(1, Math.min(group.groups, runs));
        return {
          groups,
          runs,
          topics,
          stances,
          points,
          stages: group.slots,
          grid: Number(args.gridPoints ?? 50),
          rows: groups * topics * stances,
          factors,
        };
      }
      const rows = field === 'driftMetrics' ? cells * shape.maxStages : cells;
      return { runs, topics, stances, points, stages: shape.maxStages, grid: 1, rows, factors, groups: 1 };
    }
    default:
      return base;
  }
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

/** Values produced by a selection set on `type` for one item, with fragment costs memoised. */
function selectionCost(walk: Walk, set: SelectionSetNode, type: GraphQLObjectType, sizes: Sizes, memo: Map<string, number>): number {
  let total = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      total += fieldCost(walk, sel, type, sizes, memo);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const on = sel.typeCondition ? walk.schema.getType(sel.typeCondition.name.value) : type;
      total += selectionCost(walk, sel.selectionSet, isObjectType(on) ? on : type, sizes, memo);
    } else {
      const name = sel.name.value;
      const key = `${name}@${type.name}`;
      let cost = memo.get(key);
      if (cost === undefined) {
        const frag = walk.fragments.get(name);
        if (!frag) throw new UnestimableError(`unknown fragment ${name}`);
        memo.set(key, 0); // a cycle (refused by validation anyway) costs nothing the second time
        cost = selectionCost(walk, frag.selectionSet, type, sizes, memo);
        memo.set(key, cost);
      }
      total += cost;
    }
  }
  return total;
}

function fieldCost(walk: Walk, node: FieldNode, parent: GraphQLObjectType, sizes: Sizes, memo: Map<string, number>): number {
  const name = node.name.value;
  if (name === '__typename') return 1;
  if (name.startsWith('__')) return INTROSPECTION_COST;
  const def: GraphQLField<unknown, unknown> | undefined = parent.getFields()[name];
  if (!def) throw new UnestimableError(`unknown field ${parent.name}.${name}`);
  let items = 1;
  const lists = unwrapListCount(def.type);
  if (lists > 1) throw new UnestimableError(`nested list ${parent.name}.${name}`);
  if (lists === 1) {
    const size = LIST_SIZES[`${parent.name}.${name}`];
    if (!size) throw new UnestimableError(`no size estimate for ${parent.name}.${name}`);
    items = size(sizes, getArgumentValues(def, node, walk.variables));
  }
  const named = getNamedType(def.type);
  const each = node.selectionSet && isObjectType(named) ? selectionCost(walk, node.selectionSet, named, sizes, memo) : 1;
  return items * Math.max(1, each);
}

/**
 * The estimated number of values the operation's response holds. Throws UnestimableError for
 * anything it cannot estimate and GraphQL's own errors for arguments that do not coerce.
 */
export async function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  catalog: ScopedCatalog,
): Promise<CostEstimate> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const walk: Walk = { schema, fragments, variables };
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!root || operation.operation === 'subscription') throw new UnestimableError(`${operation.operation} operations are not served`);

  // Root fields one by one (through fragments too), each with the sizes its arguments imply.
  const rootFields: FieldNode[] = [];
  const MAX_ROOT_FIELDS = 10_000;
  const collect = (set: SelectionSetNode, seen: Set<string>) => {
    for (const sel of set.selections) {
      // Root fragments spreading each other could multiply the count: stop as soon as it is absurd.
      if (rootFields.length > MAX_ROOT_FIELDS) return;
      if (sel.kind === Kind.FIELD) rootFields.push(sel);
      else if (sel.kind === Kind.INLINE_FRAGMENT) collect(sel.selectionSet, seen);
      else {
        const frag = fragments.get(sel.name.value);
        // A root fragment spread twice counts twice; only a cycle is cut.
        if (frag && !seen.has(frag.name.value)) collect(frag.selectionSet, new Set([...seen, frag.name.value]));
      }
    }
  };
  collect(operation.selectionSet, new Set());
  if (rootFields.length > MAX_ROOT_FIELDS) return { total: Infinity, largest: null };

  const sizesByRoot = new Map<string, Sizes>();
  let total = 0;
  let largest: CostEstimate['largest'] = null;
  for (const node of rootFields) {
    const name = node.name.value;
    let cost: number;
    let sizes: Sizes | undefined;
    if (name.startsWith('__')) {
      cost = name === '__typename' ? 1 : INTROSPECTION_COST;
    } else {
      const def = root.getFields()[name];
      if (!def) throw new UnestimableError(`unknown field ${root.name}.${name}`);
      const args = getArgumentValues(def, node, variables);
      const key = `${name}:${JSON.stringify(args)}`;
      sizes = sizesByRoot.get(key);
      if (!sizes) sizesByRoot.set(key, (sizes = await rootSizes(name, args, catalog)));
      cost = fieldCost(walk, node, root, sizes, new Map());
    }
    total += cost;
    if (!largest || cost > largest.cost) largest = { field: node.alias?.value ?? name, cost, sizes: sizes ?? {} };
  }
  return { total, largest };
}
