import DataLoader from 'dataloader';
import { scopeOf, type Principal, type Scope } from '../auth/principal';
import type { CatalogService, ScopedCatalog } from '../services/catalog.service';
import type { Stage } from './catalog/catalog.types';

/**
 * Per request: who is asking (resolved once from the Authorization header), what they may see,
 * the catalogue as they see it, and loaders that batch per-run field resolution.
 */
export interface Context {
  principal: Principal;
  scope: Scope;
  catalog: ScopedCatalog;
  loaders: { stages: DataLoader<number, Stage[]> };
}

export function createContext(catalogService: CatalogService, principal: Principal): Context {
  const scope = scopeOf(principal);
  const catalog = catalogService.scoped(scope);
  return {
    principal,
    scope,
    catalog,
    loaders: {
      // A page of runs resolves its stages with two queries, not two per run.
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
