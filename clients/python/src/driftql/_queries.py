"""The GraphQL operations the client sends (see schema/schema.graphql)."""

SELECTION_VARIABLES = (
    "$runIds: [ID!], $runFilter: RunFilter, $topics: [String!], $stances: [Stance!], $confidence: Float! = 0.95"
)
SELECTION_ARGUMENTS = (
    "runIds: $runIds, runFilter: $runFilter, topics: $topics, stances: $stances, confidence: $confidence"
)

RUNS = """
query DriftqlRuns($filter: RunFilter, $first: Int!, $after: String) {
  runs(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id key model seed metadata
      dataset { id name lab version latest }
      stages { name kind ordinal algorithm dataset totalSteps hyperparameters evaluatedSteps }
    }
  }
}
"""

ESTIMATE = "mean sd se ciLow ciHigh n"

ATTRIBUTION_SUMMARY = f"""
query DriftqlAttributionSummary({SELECTION_VARIABLES}, $groupBy: [GroupFactor!]! = [],
    $stageKind: StageKind! = PREFERENCE) {{
  attributionSummary({SELECTION_ARGUMENTS}, groupBy: $groupBy, stageKind: $stageKind) {{
    levels {{ factor level }} label topic stance runs
    kinds {{
      stageKind runs
      netShare {{ {ESTIMATE} }} pathShare {{ {ESTIMATE} }} delta {{ {ESTIMATE} }} absDelta {{ {ESTIMATE} }}
    }}
  }}
}}
"""

GROUPED_TRAJECTORIES = f"""
query DriftqlGroupedTrajectories({SELECTION_VARIABLES}, $groupBy: [GroupFactor!]!, $gridPoints: Int! = 50,
    $stageKind: StageKind! = PREFERENCE) {{
  groupedTrajectories({SELECTION_ARGUMENTS}, groupBy: $groupBy, gridPoints: $gridPoints, stageKind: $stageKind) {{
    levels {{ factor level }} label topic stance runKeys
    stages {{
      index stage stageNames stageKind occurrenceFromEnd runs
      points {{ progress globalProgress mean sd se ciLow ciHigh n }}
    }}
  }}
}}
"""

CELL = "count mean sd se ciLow ciHigh"

EFFECT_DECOMPOSITION = f"""
query DriftqlEffectDecomposition($input: EffectDecompositionInput!) {{
  effectDecomposition(input: $input) {{
    outcome stance stageKind sumOfSquares factors n note totalSumSq
    terms {{ term df sumSq meanSq fValue pValue etaSq partialEtaSq omegaSq }}
    residual {{ df sumSq meanSq }}
    cells {{ levels {{ factor level }} {CELL} }}
    marginalMeans {{ factor level {CELL} }}
    pairwise {{
      factor within confidence adjustment
      comparisons {{ within levelA levelB nA nB meanA meanB difference se df t ciLow ciHigh pValue pAdjusted note }}
    }}
    observations {{ runId runKey topic y }}
    excludedRuns {{ runId runKey reason }}
  }}
}}
"""
