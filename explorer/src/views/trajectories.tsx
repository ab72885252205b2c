/**
 * Trajectories: value against global step for the selected runs, with confidence bands, stage
 * boundaries drawn and named, smoothing and point-budget controls, and tooltips with the exact
 * numbers. One topic and stance, or small multiples over topics (rows) and stances (columns).
 */
import * as Plot from '@observablehq/plot';
import { useMemo } from 'preact/hooks';
import { TrajectoriesDocument, type TrajectoriesQueryVariables } from '../../../clients/typescript/src/client';
import { graphiqlHref, useQuery } from '../api';
import { Figure } from '../figure';
import { COLOR_BY, type State } from '../state';
import { askable, Controls, DataActions, exact, Select, stanceOptions, Status, topicOptions, type ViewProps } from '../ui';

const TRAJECTORY_COLUMNS = [
  'runId',
  'runKey',
  'topic',
  'stance',
  'stage',
  'stageKind',
  'step',
  'globalStep',
  'progress',
  'value',
  'ciLow',
  'ciHigh',
  'n',
];
const COLOR_TITLES: Record<(typeof COLOR_BY)[number], string> = {
  run: 'run',
  algorithm: 'algorithm',
  preferenceData: 'preference data',
  model: 'model',
  sftData: 'SFT data',
  lab: 'lab',
};

function trajectoryVariables(state: State, runIds: string[] | null): TrajectoriesQueryVariables {
  return {
    runIds: runIds ?? undefined,
    topics: state.topic ? [state.topic] : undefined,
    stances: state.stance ? [state.stance] : undefined,
    confidence: state.confidence,
    maxPoints: state.points || undefined,
    smoothing: state.alpha < 1 ? { method: 'EMA', alpha: state.alpha } : undefined,
  };
}

export function TrajectoriesView({ state, update, runsById, runIds, topics, runLabel }: ViewProps) {
  const variables = askable(runIds) ? trajectoryVariables(state, runIds) : null;
  const answer = useQuery(TrajectoriesDocument, variables);
  const rows = useMemo(
    () =>
      (answer.data?.trajectories ?? []).flatMap((t) => {
        const run = runsById.get(t.runId);
        const label = runLabel(t.runId, t.runKey);
        const colour = state.color === 'run' ? label : (run?.[state.color] ?? '');
        return t.points.map((p) => ({
          runId: t.runId,
          runKey: t.runKey,
          run: label,
          topic: t.topic,
          stance: t.stance,
          series: `${t.runId} ${t.topic} ${t.stance}`,
          colour,
          ...p,
        }));
      }),
    [answer.data, state.color, runsById, runLabel],
  );
  const options = useMemo((): Plot.PlotOptions | null => {
    if (!rows.length) return null;
    // A stage starts where its first point lies; runs of equal lengths share their boundaries.
    const starts = new Map<string, { x: number; stage: string; topic: string; stance: string }>();
    let previous = '';
    for (const r of rows) {
      const here = `${r.series} ${r.stage}`;
      if (here !== previous && r.stageKind !== 'BASE') {
        const b = { x: r.globalStep, stage: r.stage, topic: r.topic, stance: r.stance };
        starts.set(`${r.topic} ${r.stance} ${r.stage} ${r.globalStep}`, b);
      }
      previous = here;
    }
    const boundaries = [...starts.values()];
    const labelled = boundaries.length <= 24 ? boundaries : [];
    const topicFacets = !state.topic;
    const stanceFacets = !state.stance;
    const facet = { fy: topicFacets ? 'topic' : undefined, fx: stanceFacets ? 'stance' : undefined };
    // Bands stay readable where many overlap.
    const bandOpacity = Math.max(0.03, Math.min(0.15, 1.2 / answer.data!.trajectories.length));
    const facetCount = topicFacets ? new Set(rows.map((r) => r.topic)).size : 1;
    return {
      width: Math.max(640, Math.min(1400, innerWidth - 48)),
      height: topicFacets ? 60 + 150 * facetCount : 420,
      marginRight: topicFacets ? 110 : 20,
      x: { label: 'global step', grid: true },
      y: { label: state.stance ? `value (${state.stance.toLowerCase()})` : 'value', grid: true },
      color: { legend: true, label: COLOR_TITLES[state.color] },
      fy: { label: null },
      fx: { label: null },
      marks: [
        Plot.ruleX(boundaries, { x: 'x', ...facet, stroke: '#8a93a6', strokeDasharray: '3,3' }),
        Plot.text(labelled, { x: 'x', text: 'stage', ...facet, frameAnchor: 'top', textAnchor: 'start', dx: 3, dy: 2, fill: '#5b6478' }),
        state.bands
          ? Plot.areaY(rows, {
              x: 'globalStep',
              y1: 'ciLow',
              y2: 'ciHigh',
              z: 'series',
              fill: 'colour',
              fillOpacity: bandOpacity,
              ...facet,
            })
          : null,
        Plot.lineY(rows, { x: 'globalStep', y: 'value', z: 'series', stroke: 'colour', strokeWidth: 1.5, ...facet }),
        Plot.dot(rows, Plot.pointerX({ x: 'globalStep', y: 'value', ...facet, fill: 'colour', r: 4 })),
        Plot.tip(
          rows,
          Plot.pointerX({
            lineWidth: 60,
            x: 'globalStep',
            y: 'value',
            ...facet,
            channels: {
              run: 'run',
              topic: 'topic',
              stance: 'stance',
              stage: 'stage',
              step: 'step',
              'global step': 'globalStep',
              value: 'value',
              'CI low': 'ciLow',
              'CI high': 'ciHigh',
              n: 'n',
            },
            format: {
              x: false,
              y: false,
              fx: false,
              fy: false,
              value: exact,
              'CI low': exact,
              'CI high': exact,
              step: exact,
              'global step': exact,
              n: exact,
            },
          }),
        ),
      ],
    };
  }, [rows, state.bands, state.topic, state.stance, state.color]);
  return (
    <section>
      <Controls>
        <Select label="topic" value={state.topic} options={topicOptions(topics)} onChange={(topic) => update({ topic })} />
        <Select label="stance" value={state.stance} options={stanceOptions} onChange={(stance) => update({ stance })} />
        <Select
          label="smoothing"
          value={state.alpha}
          options={[
            { value: 1, label: 'none' },
            { value: 0.5, label: 'EMA α = 0.5' },
            { value: 0.3, label: 'EMA α = 0.3' },
            { value: 0.1, label: 'EMA α = 0.1' },
          ]}
          onChange={(alpha) => update({ alpha })}
        />
        <Select
          label="point budget"
          value={state.points}
          options={[
            { value: 0, label: 'every point' },
            { value: 500, label: '500 per trajectory' },
            { value: 200, label: '200 per trajectory' },
            { value: 50, label: '50 per trajectory' },
            { value: 20, label: '20 per trajectory' },
          ]}
          onChange={(points) => update({ points })}
        />
        <Select
          label="colour by"
          value={state.color}
          options={COLOR_BY.map((c) => ({ value: c, label: COLOR_TITLES[c] }))}
          onChange={(color) => update({ color })}
        />
        <label>
          <input
            type="checkbox"
            aria-label="confidence bands"
            checked={state.bands}
            onChange={(e) => update({ bands: e.currentTarget.checked })}
          />{' '}
          {Math.round(state.confidence * 100)}% bands
        </label>
      </Controls>
      <Status
        runIds={runIds}
        loading={answer.loading}
        error={answer.error}
        empty={!answer.loading && !rows.length && 'No data for this selection.'}
      />
      {options && (
        <>
          <p class="summary">
            {answer.data!.trajectories.length} trajectories of {new Set(rows.map((r) => r.runId)).size} runs, {rows.length} points
          </p>
          <Figure name="driftql-trajectories" options={options} answeredAt={answer.answeredAt} />
          <DataActions
            rows={rows}
            columns={TRAJECTORY_COLUMNS}
            name="driftql-trajectories"
            graphiql={graphiqlHref(TrajectoriesDocument, variables!)}
          />
        </>
      )}
    </section>
  );
}
