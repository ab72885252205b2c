/**
 * The Express handler for /graphql: Apollo's `expressMiddleware`, except that an answer goes out
 * in blocks. `res.send` of a large answer joins, converts (and hashes, for an ETag) it in one
 * synchronous step; here the answer is serialised into blocks (`graphql/slicing`) and each block
 * is written with the event loop turning in between, respecting the socket's backpressure, so
 * other requests keep being answered while a large answer goes out.
 *
 * Apollo hands its serialiser's output to the handler as one string. A large answer is
 * therefore passed as a placeholder (`stringifyResult` below), under which this module keeps the
 * blocks until the handler takes them, a moment later, in the same request.
 */
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import type express from 'express';
import { stringifyInBlocks } from '../graphql/slicing';
import { pause } from '../services/yielder';

const held = new Map<string, string[]>();
let answers = 0;

/** Apollo's `stringifyResult`: the same JSON as its default (with a final newline). */
export async function stringifyResult(result: FormattedExecutionResult): Promise<string> {
  const blocks = await stringifyInBlocks(result);
  if (blocks.length === 1) return `${blocks[0]}\n`;
  blocks.push('\n');
  const token = `\u0000driftql-answer-${++answers}`;
  held.set(token, blocks);
  return token;
}

/** The blocks of an answer: those held under a placeholder, or the string itself. */
function blocksOf(body: string): string[] {
  const blocks = held.get(body);
  if (!blocks) return [body];
  held.delete(body);
  return blocks;
}

const drainWaiters = new WeakMap<express.Response, (() => void)[]>();

/**
 * Resolves when the socket wants more, or is gone. One pair of listeners per response: the
 * `compression` middleware moves 'drain' listeners onto its zlib stream, where `res.off` cannot
 * remove them, so adding one per wait would pile them up.
 */
function drained(res: express.Response): Promise<void> {
  return new Promise((resolve) => {
    let waiting = drainWaiters.get(res);
    if (!waiting) {
      const list: (() => void)[] = [];
      waiting = list;
      drainWaiters.set(res, list);
      const wake = () => {
        for (const f of list.splice(0)) f();
      };
      res.on('drain', wake);
      res.on('close', wake);
    }
    waiting.push(resolve);
  });
}

export function graphqlHandler<C extends BaseContext>(
  apollo: ApolloServer<C>,
  context: (req: express.Request, res: express.Response) => Promise<C>,
): express.RequestHandler {
  return async (req, res, next) => {
    try {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: req.method.toUpperCase(),
          headers,
          search: new URL(req.originalUrl, 'http://localhost').search,
          body: req.body as unknown,
        },
        context: () => context(req, res),
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'chunked') {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
        return;
      }
      const blocks = blocksOf(response.body.string);
      if (blocks.length === 1) {
        res.end(blocks[0]);
        return;
      }
      for (const block of blocks) {
        if (res.destroyed) break;
        if (!res.write(block)) await drained(res);
        await pause(res);
      }
      res.end();
    } catch (error) {
      next(error);
    }
  };
}
