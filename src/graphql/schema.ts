import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { KeyService } from '../auth/keys.service';
import type { DriftDb } from '../db/client';
import { asStorage, type Storage } from '../db/storage';
import { AnalysisService } from '../services/analysis.service';
import { ResultCache } from '../services/cache';
import { CatalogService } from '../services/catalog.service';
import { EffectsService } from '../services/effects.service';
import { EffectsResolver } from './effects/effects.resolver';
import { AnalysisResolver } from './analysis/analysis.resolver';
import { CatalogResolver } from './catalog/catalog.resolver';
import { KeysResolver } from './keys/keys.resolver';
import { DatasetsResolver } from './datasets/datasets.resolver';
import { DatasetService } from '../services/datasets.service';
import { JobService } from '../upload/jobs';
import { JobsResolver } from './jobs/jobs.resolver';
import { sliceListFields } from './slicing';

export interface Services {
  catalog: CatalogService;
  analysis: AnalysisService;
  effects: EffectsService;
  keys: KeyService;
  datasets: DatasetService;
  jobs: JobService;
}

export function createServices(source: DriftDb | Storage, opts: { cacheEntries?: number; cacheBytes?: number } = {}): Services {
  const storage = asStorage(source);
  const db = storage.db;
  const catalog = new CatalogService(db);
  const cache = new ResultCache({ maxBytes: opts.cacheBytes ?? 256 * 1024 * 1024, maxEntries: opts.cacheEntries }, () => db.changeCount);
  const analysis = new AnalysisService(db, catalog, cache);
  return {
    catalog,
    analysis,
    effects: new EffectsService(analysis, cache),
    keys: new KeyService(storage),
    datasets: new DatasetService(storage, catalog),
    jobs: new JobService(storage),
  };
}

const RESOLVERS = [CatalogResolver, AnalysisResolver, EffectsResolver, KeysResolver, DatasetsResolver, JobsResolver] as const;

/** Builds the executable schema; resolvers get their services through the constructor. */
export async function createSchema(services: Services | null): Promise<GraphQLSchema> {
  const instances = new Map<unknown, unknown>();
  if (services) {
    instances.set(CatalogResolver, new CatalogResolver());
    instances.set(AnalysisResolver, new AnalysisResolver(services.analysis));
    instances.set(EffectsResolver, new EffectsResolver(services.effects));
    instances.set(KeysResolver, new KeysResolver(services.keys));
    instances.set(DatasetsResolver, new DatasetsResolver(services.datasets));
    instances.set(JobsResolver, new JobsResolver(services.jobs));
  }
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    validate: { forbidUnknownValues: false },
    container: {
      get: (cls) => {
        const instance = instances.get(cls);
        if (!instance) throw new Error(`no instance for ${String((cls as { name?: string }).name)}`);
        return instance;
      },
    },
  });
  // Large lists complete over several turns of the event loop (see slicing.ts).
  return sliceListFields(schema);
}
