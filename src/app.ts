/** The HTTP application: GraphQL at /graphql (GraphiQL for browsers), /healthz. */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import http from 'node:http';
import type { Config } from './config';
import type { DriftDb } from './db/client';
import { dataVersion } from './db/version';
import { createContext, type Context } from './graphql/context';
import { formatError } from './graphql/errors';
import { complexityLimit, depthLimit } from './graphql/limits';
import { createSchema, createServices } from './graphql/schema';

export interface App {
  server: http.Server;
  apollo: ApolloServer<Context>;
  stop(): Promise<void>;
}

export type AppLimits = Pick<Config, 'DRIFT_MAX_COMPLEXITY' | 'DRIFT_MAX_DEPTH'> & Partial<Pick<Config, 'DRIFT_CACHE_ENTRIES'>>;

export async function createApp(db: DriftDb, limits: AppLimits): Promise<App> {
  const services = createServices(db, { cacheEntries: limits.DRIFT_CACHE_ENTRIES });
  const schema = await createSchema(services);
  const app = express();
  const server = http.createServer(app);
  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // GraphiQL and typed clients need the schema; Apollo turns introspection off when
    // NODE_ENV=production (which `npm start` sets so graphql-js skips its development checks).
    introspection: true,
    validationRules: [depthLimit(limits.DRIFT_MAX_DEPTH)],
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // The default cache-control plugin hooks every field resolution; responses here are
      // large lists of plain numbers and HTTP caching is not used, so it only costs time.
      ApolloServerPluginCacheControlDisabled(),
      complexityLimit(schema, limits.DRIFT_MAX_COMPLEXITY),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    try {
      res.json({ status: 'ok', dataVersion: await dataVersion(db) });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
  app.get('/graphql', async (req, res, next) => {
    // Browsers asking for a page get GraphiQL; GET requests carrying a query go to Apollo.
    if (req.query.query === undefined && req.accepts(['application/json', 'text/html']) === 'text/html') {
      // Loaded on first use: its 9 MB of inlined assets would add most of a second to start-up.
      const { graphiqlPage } = await import('./graphiql');
      res.type('html').send(graphiqlPage());
      return;
    }
    next();
  });
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(apollo, { context: async () => createContext(services.catalog) }));
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
  app.get('/', (_req, res) => res.redirect('/graphql'));

  return {
    server,
    apollo,
    async stop() {
      await apollo.stop();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
