# syntax=docker/dockerfile:1
# driftql: GraphQL analytics over drift traces in DuckDB.
#   docker build -t driftql .
#   docker run -p 4000:4000 -v driftql-data:/data driftql

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY seeds ./seeds
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
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
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Ingest with: docker run --rm -v driftql-data:/data -v "$PWD/bundle:/bundle:ro" driftql node dist/src/cli.js ingest /bundle
CMD ["node", "dist/src/server.js"]
