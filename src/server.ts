/** `npm start`: migrate, load the demo seed into an empty database, serve. */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { loadConfig, loadDotEnv } from './config';
import { DriftDb } from './db/client';
import { migrate } from './db/migrate';
import { isEmpty, loadDemo } from './seed';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const db = await DriftDb.open(config.dbPath, {
    readConnections: config.DRIFT_READ_CONNECTIONS,
    memoryLimit: config.DRIFT_MEMORY_LIMIT,
    threads: config.DRIFT_THREADS,
  });
  const report = await migrate(db);
  console.log(`[driftql] database ${config.dbPath}: ${report.applied.length} migration(s) applied`);
  if (config.DRIFT_SEED_DEMO === 'true' && (await isEmpty(db))) {
    console.log('[driftql] empty database: loading the demo seed');
    const r = await loadDemo(db, { progress: (m) => console.log(`[driftql]   ${m}`) });
    console.log(`[driftql] demo seed: ${r.runs} runs, ${r.observations.toLocaleString('en-US')} observations`);
  }
  const app = await createApp(db, config);
  await new Promise<void>((resolve) => app.server.listen(config.PORT, config.HOST, resolve));
  const { port } = app.server.address() as AddressInfo;
  console.log(`[driftql] GraphQL and GraphiQL at http://localhost:${port}/graphql`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[driftql] ${signal}: shutting down`);
    await app.stop();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`[driftql] failed to start: ${(err as Error).message}`);
  process.exit(1);
});
