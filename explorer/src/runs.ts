/** The runs the caller may see, as flat rows for the runs table (every page of `runs`). */
import { createClient, RunsDocument, type RunsQuery } from '../../clients/typescript/src/client';

export interface RunRow {
  id: string;
  key: string;
  lab: string;
  dataset: string;
  version: string;
  model: string;
  sftData: string;
  algorithm: string;
  preferenceData: string;
}

export const COLUMNS: { id: keyof RunRow; title: string }[] = [
  { id: 'lab', title: 'Lab' },
  { id: 'dataset', title: 'Dataset' },
  { id: 'version', title: 'Version' },
  { id: 'model', title: 'Model' },
  { id: 'sftData', title: 'SFT data' },
  { id: 'algorithm', title: 'Algorithm' },
  { id: 'preferenceData', title: 'Preference data' },
  { id: 'key', title: 'Run' },
];

export async function loadRuns(token: string | undefined): Promise<RunRow[]> {
  const request = createClient(location.origin, { token });
  const rows: RunRow[] = [];
  let after: string | null = null;
  for (;;) {
    const { runs }: RunsQuery = await request(RunsDocument, { first: 200, after });
    for (const r of runs.nodes) {
      const of = (kind: string) => r.stages.filter((s) => s.kind === kind);
      const pref = of('PREFERENCE').at(-1);
      rows.push({
        id: r.id,
        key: r.key,
        lab: r.dataset.lab,
        dataset: r.dataset.name,
        version: r.dataset.version,
        model: r.model,
        sftData: of('SFT')
          .map((s) => s.dataset ?? '')
          .join(', '),
        algorithm: pref?.algorithm ?? '',
        preferenceData: pref?.dataset ?? '',
      });
    }
    if (!runs.pageInfo.hasNextPage) return rows;
    after = runs.pageInfo.endCursor;
  }
}
