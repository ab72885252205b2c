/**
 * driftql explorer: the server's own frontend, built on the typed TypeScript client and nothing
 * the public API does not offer. The runs table's selection (or, with none, the runs it shows)
 * feeds the analysis views; every view's state is in the URL.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { TopicsDocument } from '../../clients/typescript/src/client';
import { clearCache, request } from './api';
import { loadRuns, type RunRow } from './runs';
import { apiKey, readState, VIEWS, writeState, type State } from './state';
import './style.css';
import type { ViewProps } from './ui';
import { AttributionView } from './views/attribution';
import { DriftMapView } from './views/driftmap';
import { EffectsView } from './views/effects';
import { GroupsView } from './views/groups';
import { RunsView, visibleRuns } from './views/runs';
import { TrajectoriesView } from './views/trajectories';

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
      const search = writeState(s);
      // A new view is a new history entry (Back returns to the last one); control changes replace it.
      if (s.view !== state.view) history.pushState(null, '', search);
      else history.replaceState(null, '', search);
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

const ANALYSES = {
  trajectories: TrajectoriesView,
  groups: GroupsView,
  attribution: AttributionView,
  driftmap: DriftMapView,
  effects: EffectsView,
} satisfies Record<Exclude<State['view'], 'runs'>, (p: ViewProps) => unknown>;

function App() {
  const [state, setState] = useUrlState();
  const [keyVersion, setKeyVersion] = useState(0);
  const [runs, setRuns] = useState<RunRow[] | null>(null);
  const [topics, setTopics] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setError(null);
    clearCache();
    loadRuns(apiKey.get()).then(setRuns, (e: Error) => setError(e.message));
    request(TopicsDocument, {}).then(
      (t) => setTopics(t.topics.map((x) => x.name)),
      (e: Error) => setError(e.message),
    );
  }, [keyVersion]);
  const runsById = useMemo(() => new Map((runs ?? []).map((r) => [r.id, r])), [runs]);
  const runIds = useMemo(() => {
    if (!runs) return [];
    // Selected runs the caller can no longer see (a key was forgotten) are not asked for.
    const selected = state.runs.filter((id) => runsById.has(id));
    if (selected.length) return selected;
    return Object.values(state.filter).some(Boolean) ? visibleRuns(runs, state.filter).map((r) => r.id) : null;
  }, [runs, runsById, state.runs, state.filter]);
  const Analysis = state.view === 'runs' ? null : ANALYSES[state.view];
  return (
    <>
      <header>
        <strong>driftql explorer</strong>
        <nav>
          {VIEWS.map((v) => (
            <a
              key={v.id}
              href={writeState({ ...state, view: v.id })}
              class={v.id === state.view ? 'current' : ''}
              aria-current={v.id === state.view ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                setState({ ...state, view: v.id });
              }}
            >
              {v.title}
            </a>
          ))}
        </nav>
        <a href="/graphql">GraphiQL</a>
        <KeyField onChange={() => setKeyVersion((v) => v + 1)} />
      </header>
      <main>
        {error ? (
          <p class="error">{error}</p>
        ) : !runs ? (
          <p class="loading">loading runs…</p>
        ) : Analysis ? (
          <>
            <p class="scope">
              {runIds === null
                ? `all ${runs.length} runs (none selected or filtered in the Runs view)`
                : state.runs.length
                  ? `${runIds.length} selected runs`
                  : `${runIds.length} runs shown in the Runs table (none selected)`}
            </p>
            <Analysis state={state} setState={setState} runsById={runsById} runIds={runIds} topics={topics} />
          </>
        ) : (
          <RunsView state={state} setState={setState} runs={runs} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
