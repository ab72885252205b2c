/**
 * Drift map: topics × runs (or groups of runs), each cell coloured by the drift magnitude of the
 * run's last stage of the chosen kind, with the drift time and values on hover. A click opens
 * that trajectory (or, for a group, the group's trajectories).
 */
import * as Plot from '@observablehq/plot';
import { useMemo } from 'preact/hooks';
import {
  DriftMetricsDocument,
  GroupedTrajectoriesDocument,
  type DriftMetricsQueryVariables,
  type GroupedTrajectoriesQueryVariables,
} from '../../../clients/typescript/src/client';
import { graphiqlHref, useQuery } from '../api';
import { Figure } from '../figure';
import { GROUP_FACTORS, oneStance, STANCES, type State } from '../state';
import { askable, Checks, Controls, DataActions, exact, Select, Status, type ViewProps } from '../ui';

const DRIFT_COLUMNS = [
  'column',
  'runId',
  'topic',
  'stance',
  'stage',
  'stageKind',
  'magnitude',
  'driftTime',
  'startValue',
  'endValue',
  'runs',
];

interface Cell {
  column: string;
  runId?: string;
  topic: string;
  stance: string;
  stage: string;
  stageKind: string;
  magnitude: number;
  driftTime: number;
  startValue?: number;
  endValue?: number;
  runs: number;
}

function driftVariables(state: State, runIds: string[] | null): DriftMetricsQueryVariables {
  return { runIds: runIds ?? undefined, stances: [oneStance(state)], confidence: state.confidence };
}

function groupDriftVariables(state: State, runIds: string[] | null): GroupedTrajectoriesQueryVariables {
  return {
    groupBy: state.group,
    runIds: runIds ?? undefined,
    stances: [oneStance(state)],
    confidence: state.confidence,
    gridPoints: 2,
  };
}

export function DriftMapView({ state, update, runIds, runLabel }: ViewProps) {
  const ok = askable(runIds);
  const byRun = useQuery(DriftMetricsDocument, ok && state.by === 'runs' ? driftVariables(state, runIds) : null);
  const byGroup = useQuery(GroupedTrajectoriesDocument, ok && state.by === 'groups' ? groupDriftVariables(state, runIds) : null);
  const answer = state.by === 'runs' ? byRun : byGroup;
  const cells = useMemo((): Cell[] => {
    if (state.by === 'runs') {
      // Each run's last stage of the kind: metrics come in stage order, so later ones replace earlier.
      const last = new Map<string, Cell>();
      for (const m of byRun.data?.driftMetrics ?? [])
        if (m.stageKind === state.kind)
          last.set(`${m.runId} ${m.topic}`, {
            column: runLabel(m.runId, m.runKey),
            runId: m.runId,
            topic: m.topic,
            stance: m.stance,
            stage: m.stage,
            stageKind: m.stageKind,
            magnitude: m.magnitude,
            driftTime: m.driftTime,
            startValue: m.startValue,
            endValue: m.endValue,
            runs: 1,
          });
      return [...last.values()];
    }
    return (byGroup.data?.groupedTrajectories ?? []).flatMap((g) =>
      g.stages
        // The group's last stage of the kind, as each run's is on the map of runs.
        .filter((s) => s.stageKind === state.kind && s.occurrenceFromEnd === 0 && s.drift)
        .map((s) => ({
          column: g.label,
          topic: g.topic,
          stance: g.stance,
          stage: s.stage,
          stageKind: s.stageKind,
          magnitude: s.drift!.magnitude.mean,
          driftTime: s.drift!.driftTime.mean,
          runs: s.drift!.magnitude.n,
        })),
    );
  }, [byRun.data, byGroup.data, state.by, state.kind, runLabel]);
  const options = useMemo((): Plot.PlotOptions | null => {
    if (!cells.length) return null;
    const columns = new Set(cells.map((c) => c.column)).size;
    const topics = new Set(cells.map((c) => c.topic)).size;
    const extent = Math.max(...cells.map((c) => Math.abs(c.magnitude)), 1e-9);
    const longest = Math.max(...cells.map((c) => c.column.length));
    return {
      width: Math.max(640, Math.min(2400, 140 + columns * 22)),
      height: 40 + topics * 24 + Math.min(260, longest * 6.2),
      marginLeft: 130,
      marginBottom: Math.min(260, longest * 6.2),
      padding: 0.04,
      x: { label: null, tickRotate: -90 },
      y: { label: null },
      color: {
        type: 'diverging',
        scheme: 'RdBu',
        domain: [-extent, extent],
        legend: true,
        label: `drift magnitude (${oneStance(state)})`,
      },
      marks: [
        Plot.cell(cells, { x: 'column', y: 'topic', fill: 'magnitude', inset: 0.5 }),
        Plot.tip(
          cells,
          Plot.pointer({
            lineWidth: 60,
            x: 'column',
            y: 'topic',
            channels: {
              [state.by === 'runs' ? 'run' : 'group']: 'column',
              topic: 'topic',
              stage: 'stage',
              magnitude: 'magnitude',
              'drift time': 'driftTime',
              start: 'startValue',
              end: 'endValue',
              runs: 'runs',
            },
            format: {
              x: false,
              y: false,
              fill: false,
              magnitude: exact,
              'drift time': exact,
              start: state.by === 'runs' ? exact : false,
              end: state.by === 'runs' ? exact : false,
              runs: state.by === 'groups',
            },
          }),
        ),
      ],
    };
  }, [cells, state.by, state.stance]);
  const open = (c: Cell) =>
    c.runId
      ? update({ view: 'trajectories', runs: [c.runId], topic: c.topic, stance: c.stance as State['stance'] })
      : update({ view: 'groups', topic: c.topic, stance: c.stance as State['stance'] });
  const variables = state.by === 'runs' ? driftVariables(state, runIds) : groupDriftVariables(state, runIds);
  return (
    <section>
      <Controls>
        <Select label="stance" value={oneStance(state)} options={STANCES} onChange={(stance) => update({ stance })} />
        <Select
          label="stage"
          value={state.kind}
          options={[
            { value: 'PREFERENCE', label: 'last preference stage' },
            { value: 'SFT', label: 'last SFT stage' },
            { value: 'OTHER', label: 'last other stage' },
          ]}
          onChange={(kind) => update({ kind })}
        />
        <Select
          label="columns"
          value={state.by}
          options={[
            { value: 'runs', label: 'runs' },
            { value: 'groups', label: 'groups (mean over runs)' },
          ]}
          onChange={(by) => update({ by })}
        />
        {state.by === 'groups' && (
          <Checks label="group by" values={state.group} options={GROUP_FACTORS} onChange={(group) => update({ group })} />
        )}
      </Controls>
      <Status
        runIds={runIds}
        loading={answer.loading}
        error={answer.error}
        empty={!answer.loading && !cells.length && `No ${state.kind.toLowerCase()} stage in these runs.`}
      />
      {options && (
        <>
          <p class="summary">Click a cell to open its {state.by === 'runs' ? 'trajectory' : "group's trajectories"}.</p>
          <Figure name="driftql-driftmap" options={options} answeredAt={answer.answeredAt} onPick={open} />
          <DataActions
            rows={cells}
            columns={DRIFT_COLUMNS}
            name="driftql-driftmap"
            graphiql={
              state.by === 'runs'
                ? graphiqlHref(DriftMetricsDocument, variables as DriftMetricsQueryVariables)
                : graphiqlHref(GroupedTrajectoriesDocument, variables as GroupedTrajectoriesQueryVariables)
            }
          />
        </>
      )}
    </section>
  );
}
