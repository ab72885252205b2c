# syntax=docker/dockerfile:1
# driftql: GraphQL analytics over drift traces in DuckDB.
#   docker build -t driftql .
#   docker run -p 4000:4000 -v driftql-data:/data driftql

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Dependencies only: the sources are not here yet for the prepare script's build, which runs below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY seeds ./seeds
# The explorer (bundled by Vite into dist/explorer) and the typed client it is built on.
COPY explorer ./explorer
COPY clients/typescript ./clients/typescript
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim AS runtime
# HOST=0.0.0.0: inside a container the loopback default would be unreachable through the
# published port; the container's network boundary (and API keys) take its place.
ENV NODE_ENV=production \
    PORT=4000 \
    HOST=0.0.0.0 \
    DRIFT_DB=/data/drift.duckdb \
    UV_THREADPOOL_SIZE=8
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
# /lake: the mount point of cluster mode's shared Parquet folder (deploy/docker-compose.yml); a new
# named volume mounted there starts out owned by the node user, as this folder is.
RUN mkdir -p /data /lake && chown node:node /data /lake && ln -s /app/dist/src/cli.js /usr/local/bin/driftql
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Ingest (with the server stopped) with:
#   docker run --rm -v driftql-data:/data -v "$PWD/bundle:/bundle:ro" driftql driftql ingest /bundle
CMD ["node", "dist/src/server.js"]
