/** Runs: the filterable table whose selection feeds the other views. */
import { useMemo } from 'preact/hooks';
import { RunsDocument } from '../../../clients/typescript/src/client';
import { graphiqlHref } from '../api';
import { downloadCsv } from '../download';
import { COLUMNS, type RunRow } from '../runs';
import type { State } from '../state';

/**
 * The runs the table shows: in every filtered column the cell contains (case-insensitive) the
 * filter's text, or one of its comma-separated alternatives ("dpo, simpo").
 */
const alternativesOf = (text: string) =>
  text
    .toLowerCase()
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);

/** Whether any filter narrows the table (one of only spaces and commas does not). */
export const filterActive = (filter: State['filter']): boolean => Object.values(filter).some((t) => alternativesOf(t).length > 0);

export function visibleRuns(runs: RunRow[], filter: State['filter']): RunRow[] {
  const tests = Object.entries(filter).map(([column, text]) => {
    const alternatives = alternativesOf(text);
    return (r: RunRow) => {
      const cell = String(r[column as keyof RunRow] ?? '').toLowerCase();
      return !alternatives.length || alternatives.some((a) => cell.includes(a));
    };
  });
  return runs.filter((r) => tests.every((t) => t(r)));
}

export function RunsView({ state, setState, runs }: { state: State; setState: (s: State) => void; runs: RunRow[] }) {
  const visible = useMemo(() => visibleRuns(runs, state.filter), [runs, state.filter]);
  const selected = new Set(state.runs);
  const toggle = (id: string) => setState({ ...state, runs: selected.has(id) ? state.runs.filter((r) => r !== id) : [...state.runs, id] });
  return (
    <section>
      <p class="toolbar">
        {visible.length} of {runs.length} runs · {state.runs.length} selected{' '}
        <button onClick={() => setState({ ...state, runs: [...new Set([...state.runs, ...visible.map((r) => r.id)])] })}>
          select shown
        </button>{' '}
        <button onClick={() => setState({ ...state, runs: [] })}>clear selection</button>{' '}
        <button onClick={() => downloadCsv(visible, ['id', ...COLUMNS.map((c) => c.id)], 'driftql-runs')}>download CSV</button>{' '}
        <a href={graphiqlHref(RunsDocument, { first: 200 })} target="_blank" rel="noopener">
          open this query in GraphiQL
        </a>
      </p>
      <table>
        <thead>
          <tr>
            <th />
            {COLUMNS.map((c) => (
              <th key={c.id}>
                {c.title}
                <input
                  aria-label={`filter ${c.title}`}
                  value={state.filter[c.id] ?? ''}
                  onInput={(e) => setState({ ...state, filter: { ...state.filter, [c.id]: e.currentTarget.value } })}
                />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {visible.map((r) => (
            <tr key={r.id} data-run={r.id} class={selected.has(r.id) ? 'selected' : ''}>
              <td>
                <input type="checkbox" aria-label={`select ${r.key}`} checked={selected.has(r.id)} onChange={() => toggle(r.id)} />
              </td>
              {COLUMNS.map((c) => (
                <td key={c.id}>{r[c.id]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
