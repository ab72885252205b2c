import DataLoader from 'dataloader';
import type { CatalogService } from '../services/catalog.service';
import type { Stage } from './catalog/catalog.types';

export interface Context {
  loaders: { stages: DataLoader<number, Stage[]> };
}

/** Per-request loaders: a page of runs resolves its stages with two queries, not two per run. */
export function createContext(catalog: CatalogService): Context {
  return {
    loaders: {
      stages: new DataLoader<number, Stage[]>(async (runIds) => {
        const stages = await catalog.stagesOf(runIds);
        const steps = await catalog.evaluatedSteps(stages.map((s) => s.id));
        const byRun = new Map<number, Stage[]>(runIds.map((id) => [id, []]));
        for (const s of stages) {
          byRun.get(s.runId)?.push({
            name: s.name,
            kind: s.kind,
            ordinal: s.ordinal,
            algorithm: s.algorithm,
            dataset: s.dataset,
            totalSteps: s.totalSteps,
            hyperparameters: s.hyperparameters,
            evaluatedSteps: steps.get(s.id) ?? [],
          });
        }
        return runIds.map((id) => byRun.get(id) ?? []);
      }),
    },
  };
}
