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
import { runLabeller, type ViewProps } from './ui';
import { AttributionView } from './views/attribution';
import { DriftMapView } from './views/driftmap';
import { EffectsView } from './views/effects';
import { GroupsView } from './views/groups';
import { filterActive, RunsView, visibleRuns } from './views/runs';
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
    // What the previous key could see goes at once, and a late answer asked with it is dropped.
    let live = true;
    setError(null);
    setRuns(null);
    setTopics([]);
    clearCache();
    const failed = (e: Error) => live && setError(e.message);
    loadRuns(apiKey.get()).then((r) => live && setRuns(r), failed);
    request(TopicsDocument, {}).then((t) => live && setTopics(t.topics.map((x) => x.name)), failed);
    return () => {
      live = false;
    };
  }, [keyVersion]);
  const runsById = useMemo(() => new Map((runs ?? []).map((r) => [r.id, r])), [runs]);
  const runLabel = useMemo(() => runLabeller(runsById), [runsById]);
  const scope = useMemo((): { runIds: string[] | null; text: string } | null => {
    // A link's selection is asked about at once; the list of runs (and who may see them) follows.
    if (!runs) return state.runs.length ? { runIds: state.runs, text: `${state.runs.length} selected runs` } : null;
    if (state.runs.length) {
      // Selected runs the caller cannot see (a link opened without its key) are not asked for.
      const visible = state.runs.filter((id) => runsById.has(id));
      const hidden = state.runs.length - visible.length;
      return {
        runIds: visible,
        text: hidden
          ? `${visible.length} of ${state.runs.length} selected runs: ${hidden} are not visible to this caller (enter a key of their lab)`
          : `${visible.length} selected runs`,
      };
    }
    if (filterActive(state.filter)) {
      const shown = visibleRuns(runs, state.filter).map((r) => r.id);
      return { runIds: shown, text: `${shown.length} runs shown by the Runs filters (none selected)` };
    }
    return { runIds: null, text: `all ${runs.length} runs (none selected or filtered in the Runs view)` };
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
        ) : Analysis && scope ? (
          <>
            <p class="scope">{scope.text}</p>
            <Analysis
              state={state}
              update={(patch) => setState({ ...state, ...patch })}
              runsById={runsById}
              runIds={scope.runIds}
              topics={topics}
              runLabel={runLabel}
            />
          </>
        ) : Analysis || !runs ? (
          <p class="loading">loading runs…</p>
        ) : (
          <RunsView state={state} setState={setState} runs={runs} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
