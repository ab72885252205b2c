/** The HTTP application: GraphQL at /graphql (GraphiQL for browsers), /healthz. */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import compression from 'compression';
import cors from 'cors';
import express from 'express';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from './config';
import { ROOT } from './paths';
import type { DriftDb } from './db/client';
import { asStorage, type Storage } from './db/storage';
import { createContext, type Context } from './graphql/context';
import { formatError, toRequestError } from './graphql/errors';
import { HOW_TO_GET_A_KEY } from './auth/keys.service';
import { asDriftError, DriftError, ErrorCode, HTTP_STATUS, UnauthenticatedError } from './errors';
import { costLimit, depthLimit } from './graphql/limits';
import { createSchema, createServices } from './graphql/schema';
import { graphqlHandler, stringifyResult } from './http/graphql';
import { principalResolver } from './http/principal';
import { rateLimiter } from './http/rate-limit';
import type { JobService } from './upload/jobs';
import { exportRoutes } from './export/routes';
import { sweepUploads } from './upload/extract';
import { uploadRoutes } from './upload/routes';

export interface App {
  server: http.Server;
  apollo: ApolloServer<Context>;
  /** Bundles uploaded for ingest, queued one at a time. */
  jobs: JobService;
  stop(): Promise<void>;
}

/** Largest operation document accepted, in GraphQL tokens. */
export const MAX_TOKENS = 10_000;

export type AppLimits = Pick<Config, 'DRIFT_MAX_COST' | 'DRIFT_MAX_DEPTH'> &
  Partial<Pick<Config, 'DRIFT_CACHE_ENTRIES' | 'DRIFT_CACHE_BYTES' | 'DRIFT_ANONYMOUS_READ' | 'DRIFT_CORS_ORIGINS' | 'DRIFT_TRUST_PROXY'>> &
  Partial<
    Pick<Config, 'DRIFT_QUERY_TIMEOUT_MS' | 'DRIFT_RATE_LIMIT' | 'DRIFT_MAX_UPLOAD_BYTES' | 'DRIFT_MAX_UNPACKED_BYTES' | 'DRIFT_UPLOAD_DIR'>
  >;

/**
 * CORS for browser frontends on other origins: allowed origins get preflight answers that let
 * them send Authorization and Content-Type; any other origin gets no CORS headers at all (so the
 * browser refuses the response). Apollo's CSRF prevention stays on: it needs JSON bodies or a
 * custom header, which only a preflighted, allowed origin can send.
 */
function corsFor(origins: string | undefined) {
  const list = (origins ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  return cors({
    origin: list.includes('*') ? true : (origin, done) => done(null, origin !== undefined && list.includes(origin)),
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Apollo-Require-Preflight', 'X-Apollo-Operation-Name'],
    // So that browser clients can read when to retry after HTTP 429.
    exposedHeaders: ['Retry-After', 'RateLimit', 'RateLimit-Policy'],
    maxAge: 600,
  });
}

export async function createApp(source: DriftDb | Storage, limits: AppLimits): Promise<App> {
  const storage = asStorage(source);
  const db = storage.db;
  if (limits.DRIFT_QUERY_TIMEOUT_MS !== undefined) db.setQueryTimeout(limits.DRIFT_QUERY_TIMEOUT_MS);
  const services = createServices(storage, { cacheEntries: limits.DRIFT_CACHE_ENTRIES, cacheBytes: limits.DRIFT_CACHE_BYTES });
  const schema = await createSchema(services);
  const jobs = services.jobs;
  // A job a previous process left queued or running wrote nothing (ingest is all or nothing).
  const interrupted = await jobs.recoverInterrupted();
  if (interrupted > 0) console.log(`[driftql] ${interrupted} ingest job(s) left unfinished by a restart recovered`);
  // Cluster mode: jobs of replicas that stop are recovered by the others.
  storage.onMaintenance(async () => {
    const n = await jobs.recoverInterrupted();
    if (n > 0) console.log(`[driftql] ${n} ingest job(s) of a stopped replica recovered`);
  });
  // Uploads live next to the database (in cluster mode, in a folder of this replica's own);
  // what a crash left there (a half-received body, an unpacked bundle) belongs to no job any more.
  const uploadRoot =
    limits.DRIFT_UPLOAD_DIR ??
    (storage.mode === 'cluster'
      ? // per port, so that a restarted replica sweeps what it left; never shared between replicas
        path.join(os.tmpdir(), `driftql-uploads-${Number(process.env.PORT) > 0 ? process.env.PORT : storage.owner}`)
      : db.file === ':memory:'
        ? os.tmpdir()
        : `${db.file}.uploads`);
  const swept = await sweepUploads(uploadRoot);
  if (swept > 0) console.log(`[driftql] removed ${swept} upload folder(s) left by an earlier process in ${uploadRoot}`);
  const app = express();
  const server = http.createServer(app);
  // Idle keep-alive connections stay open for 65 s (Node's default is 5 s), longer than load
  // balancers and HTTP clients keep theirs: a client must never send a request on a connection
  // the server is closing at that moment. Headers must arrive within a second more.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // GraphiQL and typed clients need the schema; Apollo turns introspection off when
    // NODE_ENV=production (which `npm start` sets so graphql-js skips its development checks).
    introspection: true,
    // server.ts stops the server on SIGINT/SIGTERM itself (then the storage); Apollo's own handler
    // would race it, and a second stop() during Apollo's waits forever.
    stopOnTerminationSignals: false,
    validationRules: [depthLimit(limits.DRIFT_MAX_DEPTH)],
    // Parsing and validating a huge document costs time before any limit can look at it; real
    // operations (GraphiQL's introspection included) are far below this many tokens.
    parseOptions: { maxTokens: MAX_TOKENS },
    // The same JSON as Apollo's default, produced in slices so a large answer does not stop
    // other requests from being answered while it is serialised (see graphql/slicing).
    stringifyResult,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // The default cache-control plugin hooks every field resolution; responses here are
      // large lists of plain numbers and HTTP caching is not used, so it only costs time.
      ApolloServerPluginCacheControlDisabled(),
      costLimit(schema, limits.DRIFT_MAX_COST),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  if (limits.DRIFT_TRUST_PROXY !== undefined) {
    const hops = Number(limits.DRIFT_TRUST_PROXY);
    app.set('trust proxy', Number.isInteger(hops) ? hops : limits.DRIFT_TRUST_PROXY);
  }
  app.use(corsFor(limits.DRIFT_CORS_ORIGINS));
  const anonymousRead = (limits.DRIFT_ANONYMOUS_READ ?? 'true') === 'true';
  const principalOf = principalResolver(services.keys);
  /** The request's principal, resolved once; a bad key is refused, never downgraded to anonymous. */
  const contextFor = async (req: express.Request): Promise<Context> => {
    try {
      const principal = await principalOf(req);
      if (principal.kind === 'anonymous' && !anonymousRead) {
        throw new UnauthenticatedError(`this server does not answer requests without a key; ${HOW_TO_GET_A_KEY}`);
      }
      return createContext(services.catalog, principal);
    } catch (thrown) {
      const err = asDriftError(thrown);
      throw err instanceof DriftError ? toRequestError(err) : err;
    }
  };
  // Read again only after a change: a health check must not queue for a read connection behind
  // heavy queries (the embedded database lives and dies with the process; a replica's mirror
  // changes only when it hears of a new data version).
  let known: { changes: number; version: number } | undefined;
  app.get('/healthz', async (_req, res) => {
    try {
      storage.assertAvailable();
      if (known?.changes !== db.changeCount) {
        const changes = db.changeCount;
        known = { changes, version: await storage.dataVersion() };
      }
      res.json({ status: 'ok', mode: storage.mode, dataVersion: known.version });
    } catch {
      res.status(503).json({ status: 'unavailable', mode: storage.mode });
    }
  });
  // Cluster mode: while the catalogue is unreachable, nothing is answered from a possibly stale
  // mirror (a dataset may have been deleted or made private meanwhile).
  app.use(['/graphql', '/api'], (req, res, next) => {
    try {
      storage.assertAvailable();
      next();
    } catch (err) {
      const e = err as DriftError;
      const respond = () => {
        res.setHeader('Retry-After', '2');
        if (req.baseUrl.startsWith('/api')) res.status(HTTP_STATUS[e.code]).json({ error: { code: e.code, message: e.message } });
        else
          res.status(HTTP_STATUS[e.code]).json({ errors: [{ message: e.message, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } }] });
      };
      // Answering before the request body is read makes Node close the connection under a
      // client that may already be reusing it: read a small body first; for a large one (an
      // upload) say the connection closes.
      if (req.complete || Number(req.headers['content-length'] ?? 0) > 1_048_576) {
        if (!req.complete) res.setHeader('Connection', 'close');
        respond();
      } else {
        req.once('end', respond);
        req.resume();
      }
    }
  });
  // Requests per minute per API key (per address without one); /healthz above is not limited.
  const limiter = rateLimiter({
    perMinute: limits.DRIFT_RATE_LIMIT ?? 0,
    keyIdOf: async (req) => {
      const principal = await principalOf(req);
      return principal.kind === 'key' ? principal.keyId : undefined;
    },
  });
  app.use(['/graphql', '/api'], limiter.middleware);
  // Bundle uploads and their ingest jobs (src/upload/routes.ts); errors answer as {"error": {...}}.
  app.use(
    '/api/v1',
    uploadRoutes(jobs, principalOf, {
      maxUploadBytes: limits.DRIFT_MAX_UPLOAD_BYTES,
      maxUnpackedBytes: limits.DRIFT_MAX_UNPACKED_BYTES,
      tmpRoot: uploadRoot,
      anonymousRead,
    }),
  );
  // Bulk export (src/export/routes.ts): CSV is compressed for clients that accept it.
  app.use(
    '/api/v1',
    compression(),
    exportRoutes(schema, { db, analysis: services.analysis, catalog: services.catalog }, principalOf, {
      tmpRoot: uploadRoot,
      anonymousRead,
    }),
  );
  app.get('/graphql', async (req, res, next) => {
    // Browsers asking for a page get GraphiQL, which opens ?query=&variables= in a tab of its own
    // (src/graphiql.ts); other GET requests (Accept */* or JSON) go to Apollo as GraphQL over GET.
    res.vary('Accept');
    if (req.accepts(['application/json', 'text/html']) === 'text/html') {
      // Loaded on first use: its 9 MB of inlined assets would add most of a second to start-up.
      const { graphiqlPage } = await import('./graphiql');
      res.type('html').send(graphiqlPage());
      return;
    }
    next();
  });
  app.use(
    '/graphql',
    // gzip, deflate or br, as the client accepts, for answers above 1 KiB: JSON of numbers
    // shrinks several times. zlib runs on the thread pool, off the event loop.
    compression({ threshold: 1024 }),
    express.json({ limit: '1mb' }),
    graphqlHandler(apollo, (req) => contextFor(req)),
  );
  // Body parser failures (malformed JSON, oversized bodies) answer in GraphQL's error shape, not HTML.
  app.use(
    (
      err: { status?: number; type?: string; message?: string },
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (res.headersSent) return next(err);
      const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
      const message =
        err.type === 'entity.parse.failed'
          ? 'request body is not valid JSON; send {"query": "...", "variables": {...}}'
          : err.type === 'entity.too.large'
            ? 'request body is larger than 1 MB; send a smaller query or fewer variables'
            : status === 500
              ? 'internal error; the server log has the details'
              : (err.message ?? 'bad request');
      if (status === 500) console.error('[driftql] internal error', err);
      res.status(status).json({ errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } }] });
    },
  );
  // The explorer (explorer/, bundled into dist/explorer at build time): hashed assets may be
  // kept by browsers for a year; the page itself is revalidated so a new build is seen at once.
  const explorer = path.join(ROOT, 'dist', 'explorer');
  if (fs.existsSync(path.join(explorer, 'index.html'))) {
    // Compressed as the browser accepts: the bundle (Preact, Plot, the client) shrinks about 3×.
    app.use('/assets', compression(), express.static(path.join(explorer, 'assets'), { immutable: true, maxAge: '365d', index: false }));
    app.get('/', (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(explorer, 'index.html'));
    });
  } else {
    app.get('/', (_req, res) => res.redirect('/graphql'));
  }

  return {
    server,
    apollo,
    jobs,
    async stop() {
      limiter.stop();
      await apollo.stop();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
