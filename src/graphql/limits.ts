/** Bounds on what one operation may ask for: selection depth and estimated response size. */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { DriftError, ErrorCode } from '../errors';
import { toRequestError } from './errors';
import type { Context } from './context';
import { UnestimableError, estimateCost, type CostEstimate } from './cost';

/**
 * Validation rule refusing selections nested deeper than maxDepth (fragments followed). Each
 * fragment's depth is computed once, so fragments that spread each other twice per level cost
 * linear time, not 2^n walks; a fragment cycle (refused by validation itself) counts as 0.
 */
export function depthLimit(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    const fragmentDepth = new Map<string, number>();
    const depth = (set: SelectionSetNode | undefined): number => {
      if (!set) return 0;
      let max = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value.startsWith('__')) continue;
          max = Math.max(max, 1 + depth(sel.selectionSet));
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          max = Math.max(max, depth(sel.selectionSet));
        } else {
          const name = sel.name.value;
          let d = fragmentDepth.get(name);
          if (d === undefined) {
            fragmentDepth.set(name, 0); // in progress: a cycle adds nothing
            d = depth(fragments.get(name)?.selectionSet);
            fragmentDepth.set(name, d);
          }
          max = Math.max(max, d);
        }
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        const d = depth(node.selectionSet);
        if (d > maxDepth) {
          context.reportError(
            new GraphQLError(`query is nested ${d} levels deep; the limit is ${maxDepth}. Split it into smaller queries`, {
              nodes: [node],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            }),
          );
        }
      },
    };
  };
}

/**
 * Apollo plugin refusing, before anything runs, operations whose estimated response
 * (`estimateCost`: values, counting every alias and fragment spread) exceeds `maxCost`. It
 * cannot be skipped: an operation it cannot estimate is refused too.
 */
export function costLimit(schema: GraphQLSchema, maxCost: number): ApolloServerPlugin<Context> {
  const refuse = (message: string) => new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } });
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          // Apollo resolves the operation before this hook; without one, execution reports the error.
          if (!operation) return;
          let estimate: CostEstimate;
          try {
            estimate = await estimateCost(schema, document, operation, request.variables ?? {}, contextValue.catalog);
          } catch (err) {
            if (err instanceof GraphQLError) throw refuse(err.message);
            if (err instanceof UnestimableError) throw refuse(`this operation cannot be estimated (${err.message}), so it is not run`);
            // The estimate reads the selection as the query would (an unknown filter value, say):
            // the same error the query itself would give.
            if (err instanceof DriftError) throw toRequestError(err);
            throw err;
          }
          if (estimate.total > maxCost) {
            const l = estimate.largest;
            const where =
              l && l.sizes.runs !== undefined
                ? ` ${l.field} alone: ${fmt(l.cost)} values from ${fmt(l.sizes.runs)} runs × ${fmt(l.sizes.topics ?? 1)} topics × ${fmt(l.sizes.stances ?? 1)} stances` +
                  (l.field.includes('grouped') || l.sizes.grid ? ` × ${fmt(l.sizes.grid ?? 1)} grid points per stage` : '') +
                  '.'
                : '';
            throw refuse(
              `this operation would return about ${fmt(estimate.total)} values; the limit is ${fmt(maxCost)}.${where} ` +
                'Narrow it with runIds or runFilter, topics, stances, maxPoints or gridPoints, ask for fewer fields, or split it into smaller requests.',
            );
          }
        },
      };
    },
  };
}

function fmt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'unboundedly many';
}
