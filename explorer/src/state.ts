/**
 * The explorer's state lives in the URL (`?view=runs&runs=3,4&f.model=llama`), so every view is
 * a link that restores it; the API key lives in this tab's session storage only.
 */
export type View = 'runs';
export const VIEWS: { id: View; title: string }[] = [{ id: 'runs', title: 'Runs' }];

export interface State {
  view: View;
  /** Selected run ids, in the order they were picked. */
  runs: string[];
  /** Runs-table filters: column → text the cell must contain. */
  filter: Record<string, string>;
}

export function readState(search: string): State {
  const q = new URLSearchParams(search);
  const filter: Record<string, string> = {};
  for (const [k, v] of q) if (k.startsWith('f.') && v) filter[k.slice(2)] = v;
  return {
    view: VIEWS.find((v) => v.id === q.get('view'))?.id ?? 'runs',
    runs: (q.get('runs') ?? '').split(',').filter(Boolean),
    filter,
  };
}

export function writeState(s: State): string {
  const q = new URLSearchParams();
  q.set('view', s.view);
  if (s.runs.length) q.set('runs', s.runs.join(','));
  for (const [k, v] of Object.entries(s.filter)) if (v) q.set(`f.${k}`, v);
  return `?${q.toString()}`;
}

const KEY = 'driftqlKey';
export const apiKey = {
  get: (): string | undefined => sessionStorage.getItem(KEY) ?? undefined,
  set: (key: string | undefined) => (key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY)),
};
