/**
 * Large answers are completed and serialised in slices: the event loop turns while they are
 * built, and the text that goes out is exactly what `JSON.stringify` would give. (How long a
 * turn waits is measured by `npm run bench:load`, not here.)
 */
import { graphql, GraphQLFloat, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { sliceListFields, stringifyInBlocks } from '../../src/graphql/slicing';
import { nextTurn, pause, sliceUsed } from '../../src/services/yielder';

/** Counts turns of the event loop (setImmediate callbacks) until stopped. */
function turnCounter(): { stop(): number } {
  let turns = 0;
  let running = true;
  const tick = () => {
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}

/** Keeps the CPU busy for `ms` (the slice is measured in wall time). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('stringifyInBlocks', () => {
  const cases: [string, unknown][] = [
    ['a primitive', 42],
    ['a string with quotes, escapes and astral characters', 'a "b" \\ \n 😀 é'],
    ['null', null],
    ['an empty object and array', { a: {}, b: [] }],
    ['undefined and functions, skipped in objects and null in arrays', { a: undefined, b: () => 1, c: [undefined, () => 1, 1] }],
    ['a Date (toJSON)', { at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) }],
    ['non-finite numbers', { a: NaN, b: Infinity, c: [-Infinity] }],
    [
      'a GraphQL-like answer with long lists of flat objects',
      {
        data: {
          t: Array.from({ length: 700 }, (_, i) => ({
            id: String(i),
            labs: ['a', 'b'],
            points: Array.from({ length: i % 300 }, (_, j) => ({ step: j, value: j / 7, ci: null, stage: 'sft' })),
          })),
        },
      },
    ],
    ['a long array of primitives', Array.from({ length: 1000 }, (_, i) => (i % 3 ? i * 0.5 : `s${i}`))],
    ['nested arrays', [[1, [2, [3, []]]], [{ a: [{ b: [1] }] }]]],
  ];
  it.each(cases)('gives the same text as JSON.stringify for %s', async (_name, value) => {
    const blocks = await stringifyInBlocks(value);
    expect(blocks.join('')).toBe(JSON.stringify(value));
  });

  it('hands a large answer out in blocks of bounded size', async () => {
    const big = { rows: Array.from({ length: 50_000 }, (_, i) => ({ i, name: `row-${i}`, value: i / 3 })) };
    const blocks = await stringifyInBlocks(big);
    expect(blocks.length).toBeGreaterThan(4);
    for (const b of blocks) expect(b.length).toBeLessThan(1024 * 1024);
    expect(blocks.join('')).toBe(JSON.stringify(big));
  });
});

describe('shared slices', () => {
  it('pause() gives the event loop a turn only once the slice is used up', async () => {
    await nextTurn(); // a fresh slice
    expect(sliceUsed()).toBe(false);
    const turns = turnCounter();
    await pause();
    await pause();
    expect(turns.stop()).toBe(0);

    const again = turnCounter();
    spin(15);
    expect(sliceUsed()).toBe(true);
    await pause();
    expect(again.stop()).toBeGreaterThan(0);
    expect(sliceUsed()).toBe(false);
  });

  it('resumes waiters in the order they asked', async () => {
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => nextTurn().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('sliceListFields', () => {
  /** A fresh schema each time (slicing wraps resolvers in place). */
  const schema = () => {
    const Point = new GraphQLObjectType({
      name: 'Point',
      fields: { step: { type: GraphQLFloat }, value: { type: GraphQLFloat }, stage: { type: GraphQLString } },
    });
    const Series = new GraphQLObjectType({
      name: 'Series',
      fields: {
        id: { type: GraphQLString },
        points: {
          type: new GraphQLList(Point),
          // Costly to produce, as the analytics are: 2 ms per series.
          resolve: (s: { id: string; n: number }) => {
            spin(2);
            return Array.from({ length: s.n }, (_, j) => ({ step: j, value: j / 3, stage: 'sft' }));
          },
        },
      },
    });
    return new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          series: {
            type: new GraphQLList(Series),
            args: {},
            resolve: async () => Array.from({ length: 60 }, (_, i) => ({ id: `s${i}`, n: 50 + i })),
          },
        },
      }),
    });
  };
  const query = '{ series { id points { step value stage } } }';

  it('gives the same answer, with the event loop turning while a large list completes', async () => {
    const plain = await graphql({ schema: schema(), source: query });
    const turns = turnCounter();
    const sliced = await graphql({ schema: sliceListFields(schema()), source: query });
    // 60 series × 2 ms of work: at least 120 ms, so several 10 ms slices, each followed by a turn.
    expect(turns.stop()).toBeGreaterThanOrEqual(5);
    expect(sliced).toEqual(plain);
    expect(JSON.stringify(sliced)).toBe(JSON.stringify(plain));
  });

  it('without slicing, the same completion runs in one piece (the test can tell the difference)', async () => {
    await nextTurn();
    const turns = turnCounter();
    const plain = await graphql({ schema: schema(), source: query });
    expect(plain.errors).toBeUndefined();
    expect(turns.stop()).toBeLessThanOrEqual(1);
  });
});
