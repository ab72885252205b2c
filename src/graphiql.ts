/**
 * The GraphiQL page served at GET /graphql to browsers. Rendered once, with every asset inlined,
 * so it works with no internet (Apollo's default landing page loads Sandbox from a CDN).
 */
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

export const EXAMPLES: { title: string; query: string; variables?: string }[] = [
  {
    title: 'Runs',
    query: `# Runs with their stages; filter by lab, dataset, model, algorithm, stageDataset, stageKind.
query Runs {
  runs(first: 10, filter: { algorithm: "dpo" }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id key model
      dataset { name lab }
      stages { name kind algorithm dataset totalSteps }
    }
  }
}`,
  },
  {
    title: 'Trajectories',
    query: `# How did the stance on immigration move for the DPO runs on synthetic support data?
query Trajectories {
  trajectories(
    runFilter: { algorithm: "dpo", stageDataset: "synth-support" }
    topics: ["immigration"]
    stances: [SUPPORT]
    confidence: 0.95
  ) {
    runId runKey topic stance
    points { stage step globalStep progress value ciLow ciHigh n }
  }
}`,
  },
  {
    title: 'Drift and attribution',
    query: `# How much of the value change came from SFT vs preference optimisation?
query Attribution {
  stageAttribution(runFilter: { model: "llama-3-3b", algorithm: "dpo" }, topics: ["abortion"], stances: [SUPPORT]) {
    runKey topic stance totalDelta
    stages { stage stageKind delta netShare pathLength pathShare distributionShift }
  }
  driftMetrics(runFilter: { model: "llama-3-3b", algorithm: "dpo" }, topics: ["abortion"], stances: [SUPPORT]) {
    runKey stage magnitude driftTime startValue endValue extremumValue extremumStep
  }
}`,
  },
  {
    title: 'SFT share of the change',
    query: `# What share of the value change came from SFT, and from preference optimisation, per algorithm?
query AttributionSummary {
  attributionSummary(groupBy: [ALGORITHM], runFilter: { stageDataset: "synth-support" }, stances: [SUPPORT]) {
    label topic runs
    kinds { stageKind runs netShare { mean ciLow ciHigh n } pathShare { mean } delta { mean } absDelta { mean } }
  }
}`,
  },
  {
    title: 'Grouped trajectories',
    query: `# Runs grouped by preference algorithm and data, aligned on training progress, with across-run intervals.
query Grouped {
  groupedTrajectories(groupBy: [ALGORITHM, DATASET], topics: ["immigration"], stances: [SUPPORT], gridPoints: 11) {
    label runKeys
    stages {
      stage stageKind runs
      points { progress mean ciLow ciHigh n }
      drift { magnitude { mean ciLow ciHigh n } driftTime { mean } }
    }
  }
}`,
  },
  {
    title: 'Algorithm vs data',
    query: `# How much of the preference-stage drift do the algorithm, the data and their interaction explain?
query Effects {
  effectDecomposition(input: {
    outcome: DRIFT_MAGNITUDE, stance: SUPPORT, factors: [ALGORITHM, DATASET], sumOfSquares: TYPE_II
    pairwise: { factor: ALGORITHM, within: DATASET }
  }) {
    n
    terms { term df sumSq fValue pValue etaSq partialEtaSq omegaSq }
    residual { df sumSq meanSq }
    cells { levels { factor level } count mean }
    pairwise { comparisons { within levelA levelB difference ciLow ciHigh pAdjusted } }
  }
}`,
  },
  {
    title: 'Datasets and topics',
    query: `query Catalogue {
  datasets { id name lab version license promptSet judge runCount observationCount ingestedAt }
  topics { name promptCount runCount }
}`,
  },
];

/**
 * Runs in the page on the options before GraphiQL starts. With `?query=` (and `?variables=`) it
 * opens them in a tab of their own, active: GraphiQL adds or selects that tab when it has tabs
 * stored, and opens `defaultTabs` at the first otherwise. The address bar then follows the
 * editors' query and variables, so a reload or a copied address reopens the same tab.
 */
const FROM_URL = `function (opts) {
  var params = new URLSearchParams(location.search);
  var query = params.get('query');
  var variables = params.get('variables') || '';
  var shown = { query: query || '', variables: variables };
  function keep(key, value) {
    shown[key] = value;
    var url = new URL(location.href);
    for (var k in shown) {
      if (shown[k]) url.searchParams.set(k, shown[k]);
      else url.searchParams.delete(k);
    }
    history.replaceState(history.state, '', url);
  }
  var sync = {
    onEditQuery: function (value) { keep('query', value); },
    onEditVariables: function (value) { keep('variables', value); },
  };
  if (!query) return Object.assign({}, opts, sync);
  return Object.assign({}, opts, sync, {
    query: query,
    variables: variables,
    defaultTabs: [{ query: query, variables: variables }].concat(
      opts.defaultTabs.filter(function (t) { return t.query !== query; })
    ),
  });
}`;

const OPTIONS = {
  title: 'driftql',
  endpoint: '/graphql',
  defaultTabs: EXAMPLES.map((e) => ({ query: e.query, variables: e.variables })),
  defaultQuery: EXAMPLES[1]!.query,
  headers: JSON.stringify({}),
};

/** The page, its options passed through FROM_URL; throws if `render`'s page lacks the call to wrap. */
export function renderPage(render: typeof renderGraphiQL = renderGraphiQL): string {
  const html = render(OPTIONS);
  const json = JSON.stringify(OPTIONS);
  const call = /YogaGraphiQL\.renderYogaGraphiQL\(\s*window\.document\.querySelector\('#root'\),\s*/g;
  const found = [...html.matchAll(call)];
  const at = found.length === 1 ? found[0]!.index + found[0]![0].length : -1;
  if (at < 0 || !html.startsWith(json, at))
    throw new Error('GraphiQL page: no single renderYogaGraphiQL(root, options) call to wrap; see renderPage in src/graphiql.ts');
  return `${html.slice(0, at)}(${FROM_URL})(${json})${html.slice(at + json.length)}`;
}

let cached: string | undefined;

export function graphiqlPage(): string {
  cached ??= renderPage();
  return cached;
}
