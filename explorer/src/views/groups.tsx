/**
 * Groups: grouped trajectories (mean over the group's runs with its confidence band, and n) by
 * algorithm, data, model or lab, on the run-level axis: stage slot index + progress, so base,
 * SFT and preference lie end to end with every run's stages aligned.
 */
import * as Plot from '@observablehq/plot';
import { useMemo } from 'preact/hooks';
import { GroupedTrajectoriesDocument, type GroupedTrajectoriesQueryVariables } from '../../../clients/typescript/src/client';
import { graphiqlHref, useQuery } from '../api';
import { Figure } from '../figure';
import { GROUP_FACTORS, type State } from '../state';
import { askable, Checks, Controls, DataActions, exact, fmt, Select, stanceOptions, Status, topicOptions, type ViewProps } from '../ui';

const GROUP_COLUMNS = ['group', 'topic', 'stance', 'stage', 'stageKind', 'progress', 'globalProgress', 'mean', 'ciLow', 'ciHigh', 'n'];

function groupVariables(state: State, runIds: string[] | null): GroupedTrajectoriesQueryVariables {
  return {
    groupBy: state.group,
    runIds: runIds ?? undefined,
    topics: state.topic ? [state.topic] : undefined,
    stances: state.stance ? [state.stance] : undefined,
    confidence: state.confidence,
    gridPoints: 50,
  };
}

export function GroupsView({ state, update, runIds, topics }: ViewProps) {
  const variables = askable(runIds) ? groupVariables(state, runIds) : null;
  const answer = useQuery(GroupedTrajectoriesDocument, variables);
  const groups = answer.data?.groupedTrajectories ?? [];
  const rows = useMemo(
    () =>
      groups.flatMap((g) =>
        g.stages.flatMap((s) =>
          s.points.map((p) => ({
            group: g.label,
            topic: g.topic,
            stance: g.stance,
            stage: s.stage,
            stageKind: s.stageKind,
            runs: g.runKeys.length,
            ...p,
          })),
        ),
      ),
    [groups],
  );
  const options = useMemo((): Plot.PlotOptions | null => {
    if (!rows.some((r) => r.mean !== null)) return null;
    // Each group numbers its own stage slots; when all groups have the same slots they share one
    // set of named boundaries, otherwise each group's are drawn in its colour (the tooltip names the stage).
    const slotsOf = (g: (typeof groups)[number]) =>
      g.stages.map((st) => ({ x: st.index, stage: `${st.stage} (${st.stageKind.toLowerCase()})`, group: g.label }));
    const signature = (g: (typeof groups)[number]) => JSON.stringify(slotsOf(g).map(({ x, stage }) => [x, stage]));
    const shared = new Set(groups.map(signature)).size === 1;
    const topicFacets = !state.topic;
    const facet = { fy: topicFacets ? 'topic' : undefined, fx: !state.stance ? 'stance' : undefined };
    const shown = rows.filter((r) => r.mean !== null);
    // A slot no run has values in (a base stage of one checkpoint has no progress) is not drawn.
    const from = Math.floor(Math.min(...shown.map((r) => r.globalProgress)));
    const to = Math.max(...rows.map((r) => r.globalProgress));
    // A stage with a value at one progress only (a base model's single checkpoint) is a dot with its interval.
    const single = new Set(
      groups.flatMap((g) =>
        g.stages
          .filter((st) => st.points.filter((p) => p.mean !== null).length === 1)
          .map((st) => `${g.label} ${g.topic} ${g.stance} ${st.stage}`),
      ),
    );
    const singles = shown.filter((r) => single.has(`${r.group} ${r.topic} ${r.stance} ${r.stage}`));
    const boundaries = (shared ? slotsOf(groups[0]!) : groups.flatMap(slotsOf)).filter((b) => b.x >= from);
    return {
      width: Math.max(640, Math.min(1400, innerWidth - 48)),
      height: topicFacets ? 60 + 150 * new Set(rows.map((r) => r.topic)).size : 420,
      marginRight: topicFacets ? 110 : 20,
      x: { label: 'stage slot + progress (run-level axis)', grid: true, domain: [from, to] },
      y: { label: state.stance ? `mean value (${state.stance.toLowerCase()})` : 'mean value', grid: true },
      color: { legend: true, label: 'group' },
      fy: { label: null },
      fx: { label: null },
      marks: [
        Plot.ruleX(boundaries, { x: 'x', stroke: shared ? '#8a93a6' : 'group', strokeDasharray: '3,3' }),
        Plot.text(shared ? boundaries : [], {
          x: 'x',
          text: 'stage',
          frameAnchor: 'top',
          textAnchor: 'start',
          dx: 3,
          dy: 2,
          fill: '#5b6478',
        }),
        Plot.areaY(rows, {
          x: 'globalProgress',
          y1: 'ciLow',
          y2: 'ciHigh',
          z: (r: (typeof rows)[number]) => `${r.group} ${r.stage}`,
          fill: 'group',
          fillOpacity: 0.15,
          ...facet,
        }),
        Plot.lineY(rows, {
          x: 'globalProgress',
          y: 'mean',
          z: (r: (typeof rows)[number]) => `${r.group} ${r.stage}`,
          stroke: 'group',
          strokeWidth: 1.8,
          ...facet,
        }),
        Plot.ruleX(singles, { x: 'globalProgress', y1: 'ciLow', y2: 'ciHigh', stroke: 'group', strokeWidth: 2, ...facet }),
        Plot.dot(singles, { x: 'globalProgress', y: 'mean', fill: 'group', r: 3, ...facet }),
        Plot.dot(shown, Plot.pointerX({ x: 'globalProgress', y: 'mean', fill: 'group', r: 4, ...facet })),
        Plot.tip(
          shown,
          Plot.pointerX({
            lineWidth: 60,
            x: 'globalProgress',
            y: 'mean',
            ...facet,
            channels: {
              group: 'group',
              topic: 'topic',
              stance: 'stance',
              stage: 'stage',
              progress: 'progress',
              mean: 'mean',
              'CI low': 'ciLow',
              'CI high': 'ciHigh',
              n: 'n',
            },
            format: { x: false, y: false, fx: false, fy: false, progress: exact, mean: exact, 'CI low': exact, 'CI high': exact, n: exact },
          }),
        ),
      ],
    };
  }, [rows, groups, state.topic, state.stance]);
  return (
    <section>
      <Controls>
        <Checks label="group by" values={state.group} options={GROUP_FACTORS} onChange={(group) => update({ group })} />
        <Select label="topic" value={state.topic} options={topicOptions(topics)} onChange={(topic) => update({ topic })} />
        <Select label="stance" value={state.stance} options={stanceOptions} onChange={(stance) => update({ stance })} />
      </Controls>
      <Status
        runIds={runIds}
        loading={answer.loading}
        error={answer.error}
        empty={!answer.loading && !rows.length && 'No data for this selection.'}
      />
      {options && (
        <>
          <Figure name="driftql-groups" options={options} answeredAt={answer.answeredAt} />
          <DataActions
            rows={rows}
            columns={GROUP_COLUMNS}
            name="driftql-groups"
            graphiql={graphiqlHref(GroupedTrajectoriesDocument, variables!)}
          />
          <table class="numbers" data-table="groups">
            <thead>
              <tr>
                <th>group</th>
                <th>topic</th>
                <th>stance</th>
                <th>runs</th>
                <th>stage</th>
                <th>last mean</th>
                <th>CI</th>
                <th>n</th>
                <th>drift magnitude (mean)</th>
              </tr>
            </thead>
            <tbody>
              {groups.flatMap((g) =>
                g.stages.map((s) => {
                  const end = s.points.filter((p) => p.mean !== null).at(-1);
                  return (
                    <tr key={`${g.label} ${g.topic} ${g.stance} ${s.index}`}>
                      <td>{g.label}</td>
                      <td>{g.topic}</td>
                      <td>{g.stance}</td>
                      <td>{s.runs}</td>
                      <td>{s.stage}</td>
                      <td data-value={end?.mean ?? ''}>{fmt(end?.mean)}</td>
                      <td>
                        [{fmt(end?.ciLow)}, {fmt(end?.ciHigh)}]
                      </td>
                      <td>{end?.n}</td>
                      <td data-value={s.drift?.magnitude.mean ?? ''}>{fmt(s.drift?.magnitude.mean)}</td>
                    </tr>
                  );
                }),
              )}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
