/**
 * Requests per minute per API key, or per client address for requests without a valid key
 * (express-rate-limit, in memory, a fixed one-minute window). A request over the limit gets
 * HTTP 429 with `Retry-After` (seconds) and TOO_MANY_REQUESTS, with a message that says when to
 * retry, in the body shape of the endpoint asked: GraphQL's `errors` for /graphql, the REST
 * endpoints' `{"error": {code, message}}` elsewhere.
 *
 * Behind a reverse proxy every request comes from the proxy's address; requests with a key are
 * still told apart by key.
 */
import type { Request, RequestHandler } from 'express';
import { rateLimit, ipKeyGenerator, MemoryStore, type RateLimitInfo } from 'express-rate-limit';
import { TooManyRequestsError } from '../errors';
import { toGraphQLError } from '../graphql/errors';
import { sendError } from './errors';

export const RATE_WINDOW_MS = 60_000;

export interface RateLimiter {
  middleware: RequestHandler;
  /** Stops the store's clean-up timer. */
  stop(): void;
}

export interface RateLimitOptions {
  /** Requests per minute per key or address; 0 turns the limit off. */
  perMinute: number;
  /** The id of the request's valid API key, if it has one. */
  keyIdOf(req: Request): Promise<number | undefined>;
}

/** The bucket a request counts against: its key when it carries a valid one, else its address. */
async function bucketOf(req: Request, keyIdOf: RateLimitOptions['keyIdOf']): Promise<string> {
  const keyId = await keyIdOf(req).catch(() => undefined);
  if (keyId !== undefined) return `key:${keyId}`;
  return `addr:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
}

export function rateLimiter(opts: RateLimitOptions): RateLimiter {
  if (opts.perMinute <= 0) return { middleware: (_req, _res, next) => next(), stop: () => undefined };
  const store = new MemoryStore();
  const middleware = rateLimit({
    windowMs: RATE_WINDOW_MS,
    limit: opts.perMinute,
    store,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => bucketOf(req, opts.keyIdOf),
    handler: (req, res) => {
      const info = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit;
      const resetAt = info?.resetTime?.getTime() ?? Date.now() + RATE_WINDOW_MS;
      const seconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
      const who = info?.key.startsWith('key:') ? 'this API key' : 'this address';
      const err = new TooManyRequestsError(
        `too many requests: ${who} may send ${opts.perMinute} requests a minute; retry after ${seconds} s (the Retry-After header)`,
      );
      if (req.originalUrl.startsWith('/api/')) sendError(res, err);
      else res.status(429).json({ errors: [toGraphQLError(err).toJSON()] });
    },
  });
  return { middleware, stop: () => store.shutdown() };
}
