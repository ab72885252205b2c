/**
 * driftql explorer: the server's own frontend, built on the typed TypeScript client and nothing
 * the public API does not offer. This first version has the runs table (filter, select, deep
 * link, CSV); the analysis views build on its selection.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { downloadCsv } from './download';
import { COLUMNS, loadRuns, type RunRow } from './runs';
import { apiKey, readState, writeState, type State } from './state';
import './style.css';

function useUrlState(): [State, (s: State) => void] {
  const [state, setState] = useState(() => readState(location.search));
  useEffect(() => {
    const back = () => setState(readState(location.search));
    addEventListener('popstate', back);
    return () => removeEventListener('popstate', back);
  }, []);
  return [
    state,
    (s) => {
      history.replaceState(null, '', writeState(s));
      setState(s);
    },
  ];
}

function KeyField({ onChange }: { onChange: () => void }) {
  const [draft, setDraft] = useState('');
  const stored = apiKey.get();
  if (stored) {
    return (
      <span class="key">
        key {stored.slice(0, 12)}…{' '}
        <button
          onClick={() => {
            apiKey.set(undefined);
            onChange();
          }}
        >
          forget
        </button>
      </span>
    );
  }
  return (
    <form
      class="key"
      onSubmit={(e) => {
        e.preventDefault();
        apiKey.set(draft.trim() || undefined);
        setDraft('');
        onChange();
      }}
    >
      <input
        type="password"
        placeholder="API key (dql_…) for private data"
        value={draft}
        onInput={(e) => setDraft(e.currentTarget.value)}
      />
      <button type="submit">use key</button>
    </form>
  );
}

function RunsView({ state, setState, runs }: { state: State; setState: (s: State) => void; runs: RunRow[] }) {
  const visible = useMemo(
    () =>
      runs.filter((r) =>
        Object.entries(state.filter).every(([c, v]) =>
          String(r[c as keyof RunRow])
            .toLowerCase()
            .includes(v.toLowerCase()),
        ),
      ),
    [runs, state.filter],
  );
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
        <button onClick={() => downloadCsv(visible, ['id', ...COLUMNS.map((c) => c.id)], 'driftql-runs')}>download CSV</button>
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

function App() {
  const [state, setState] = useUrlState();
  const [keyVersion, setKeyVersion] = useState(0);
  const [runs, setRuns] = useState<RunRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setError(null);
    loadRuns(apiKey.get()).then(setRuns, (e: Error) => setError(e.message));
  }, [keyVersion]);
  return (
    <>
      <header>
        <strong>driftql explorer</strong>
        <a href="/graphql">GraphiQL</a>
        <KeyField onChange={() => setKeyVersion((v) => v + 1)} />
      </header>
      <main>
        {error ? <p class="error">{error}</p> : runs ? <RunsView state={state} setState={setState} runs={runs} /> : <p>loading runs…</p>}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
