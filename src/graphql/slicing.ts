/**
 * Large answers without a blocked event loop. graphql-js completes a result synchronously, field
 * by field, and a JSON response is one synchronous `JSON.stringify`; for the largest answers the
 * cost limit allows, either takes seconds, during which no other request (not even `/healthz`)
 * is answered. Both are cut into slices here, on the process-wide schedule of
 * `services/yielder`:
 *
 * - every list field of the schema hands its items to graphql-js one at a time, and once the
 *   current slice is used up, each remaining item as a promise that resolves on a later turn of
 *   the event loop, where graphql-js completes it (the answer itself does not change);
 * - the response is serialised piece by piece (`stringifyInBlocks`), with the same output as
 *   `JSON.stringify`, and written to the socket block by block (`http/graphql`).
 */
import { defaultFieldResolver, getNullableType, isListType, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { nextTurn, sliceUsed, yielder } from '../services/yielder';

/**
 * A list's items, handed to graphql-js one at a time: while the slice lasts, as they are; once it
 * is used up, each remaining item as a promise that resolves on a later turn, so graphql-js
 * completes it (and everything under it) there.
 */
function* sliced(items: Iterable<unknown>, owner: object): Generator<unknown> {
  for (const item of items) yield sliceUsed() ? nextTurn(owner).then(() => item) : item;
}

const isIterable = (v: unknown): v is Iterable<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function';

/** Wraps the resolver of every list field (introspection aside) in place; returns the schema. */
export function sliceListFields(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isListType(getNullableType(field.type))) continue;
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        // The request takes turns with other requests as one owner (its context).
        const owner = (context as object | undefined) ?? info.operation;
        const value = resolve(source, args, context, info);
        if (value instanceof Promise) return value.then((v) => (isIterable(v) ? sliced(v, owner) : v));
        return isIterable(value) ? sliced(value, owner) : value;
      };
    }
  }
  return schema;
}

/** Arrays up to this length of flat items (and flat objects) are serialised in one call. */
const CHUNK = 256;

const isPrimitive = (v: unknown) => v === null || (typeof v !== 'object' && typeof v !== 'function');

/** An object whose values are all primitives (a point, an estimate): one `JSON.stringify` call. */
function isFlatObject(v: object): boolean {
  for (const k in v) if (!isPrimitive((v as Record<string, unknown>)[k])) return false;
  return true;
}

/** Flat items: primitives, or objects with primitive values (judged by the first item). */
const hasFlatItems = (a: readonly unknown[]) => a.length === 0 || isPrimitive(a[0]) || isFlatObject(a[0] as object);

/** Target size of the blocks `stringifyInBlocks` hands out, in characters. */
const BLOCK_CHARS = 256 * 1024;

/**
 * `JSON.stringify(value)`, the same text, produced in slices between which the event loop turns,
 * and handed out as blocks of about {@link BLOCK_CHARS} characters whose concatenation is that
 * text (never one large string: allocating and copying one takes tens of milliseconds at a
 * time). Containers of flat values are left to `JSON.stringify` whole (or, for long arrays, in
 * chunks of {@link CHUNK} items), so the per-value cost stays that of the native serialiser.
 * Plain data only (what a GraphQL result holds): objects with `toJSON` are serialised whole.
 */
export async function stringifyInBlocks(value: unknown): Promise<string[]> {
  const pause = yielder();
  const blocks: string[] = [];
  let pieces: string[] = [];
  let size = 0;
  const flush = () => {
    if (pieces.length > 0) blocks.push(pieces.join(''));
    pieces = [];
    size = 0;
  };
  const out = {
    push(...xs: string[]) {
      for (const x of xs) {
        pieces.push(x);
        size += x.length;
      }
      if (size >= BLOCK_CHARS) flush();
    },
  };
  const write = async (v: unknown): Promise<void> => {
    if (isPrimitive(v) || typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      out.push(JSON.stringify(v) ?? 'null');
      return;
    }
    if (Array.isArray(v)) {
      if (hasFlatItems(v)) {
        if (v.length <= CHUNK) {
          out.push(JSON.stringify(v));
          return;
        }
        out.push('[');
        for (let i = 0; i < v.length; i += CHUNK) {
          if (i > 0) out.push(',');
          out.push(JSON.stringify(v.slice(i, i + CHUNK)).slice(1, -1));
          await pause();
        }
        out.push(']');
        return;
      }
      out.push('[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out.push(',');
        // Like JSON.stringify: undefined and functions in arrays become null.
        await write(v[i] === undefined || typeof v[i] === 'function' ? null : v[i]);
        await pause();
      }
      out.push(']');
      return;
    }
    if (isFlatObject(v as object)) {
      out.push(JSON.stringify(v));
      return;
    }
    out.push('{');
    let first = true;
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
      if (item === undefined || typeof item === 'function') continue;
      out.push(first ? '' : ',', JSON.stringify(k), ':');
      first = false;
      await write(item);
    }
    out.push('}');
  };
  await write(value);
  flush();
  return blocks;
}
