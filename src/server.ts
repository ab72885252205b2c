/** `npm start`: migrate, load the demo seed into an empty database, serve. */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { loadConfig, loadDotEnv } from './config';
import { openStorage } from './db/open';
import { loadDemo } from './seed';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const { storage, description } = await openStorage(config);
  console.log(`[driftql] ${description}`);
  if (config.DRIFT_SEED_DEMO === 'true' && (await storage.isEmpty())) {
    console.log('[driftql] empty database: loading the demo seed');
    // In cluster mode replicas starting together take turns; the later ones find it unchanged.
    const r = await loadDemo(storage, { progress: (m) => console.log(`[driftql]   ${m}`) });
    console.log(`[driftql] demo seed (${r.status}): ${r.runs} runs, ${r.observations.toLocaleString('en-US')} observations`);
  }
  const app = await createApp(storage, config);
  await new Promise<void>((resolve, reject) => {
    app.server.once('error', reject);
    app.server.listen(config.PORT, config.HOST, () => {
      app.server.off('error', reject);
      resolve();
    });
  });
  const { port } = app.server.address() as AddressInfo;
  console.log(`[driftql] GraphQL and GraphiQL at http://localhost:${port}/graphql`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[driftql] ${signal}: shutting down`);
    await app.stop();
    await storage.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`[driftql] failed to start: ${(err as Error).message}`);
  process.exit(1);
});
