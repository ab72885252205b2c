/**
 * Attribution: per topic, the share of the value change that came from SFT and from preference
 * optimisation, as the mean over the runs with its t interval (`attributionSummary`), optionally
 * per group of runs.
 */
import * as Plot from '@observablehq/plot';
import { useMemo } from 'preact/hooks';
import { AttributionSummaryDocument, type AttributionSummaryQueryVariables } from '../../../clients/typescript/src/client';
import { graphiqlHref, useQuery } from '../api';
import { Figure } from '../figure';
import { GROUP_FACTORS, oneStance, STANCES, type State } from '../state';
import { askable, Checks, Controls, DataActions, exact, fmt, Select, Status, type ViewProps } from '../ui';

const ATTRIBUTION_COLUMNS = [
  'group',
  'topic',
  'stance',
  'stageKind',
  'runs',
  'share',
  'mean',
  'ciLow',
  'ciHigh',
  'n',
  'deltaMean',
  'deltaCiLow',
  'deltaCiHigh',
];

function attributionVariables(state: State, runIds: string[] | null): AttributionSummaryQueryVariables {
  return { groupBy: state.group, runIds: runIds ?? undefined, stances: [oneStance(state)], confidence: state.confidence };
}

export function AttributionView({ state, update, runIds }: ViewProps) {
  const variables = askable(runIds) ? attributionVariables(state, runIds) : null;
  const answer = useQuery(AttributionSummaryDocument, variables);
  const rows = useMemo(
    () =>
      (answer.data?.attributionSummary ?? []).flatMap((a) =>
        a.kinds.map((k) => {
          const share = state.share === 'net' ? k.netShare : k.pathShare;
          return {
            group: a.label,
            topic: a.topic,
            stance: a.stance,
            stageKind: k.stageKind,
            runs: k.runs,
            share: state.share === 'net' ? 'netShare' : 'pathShare',
            mean: share?.mean ?? null,
            ciLow: share?.ciLow ?? null,
            ciHigh: share?.ciHigh ?? null,
            n: share?.n ?? 0,
            deltaMean: k.delta.mean,
            deltaCiLow: k.delta.ciLow,
            deltaCiHigh: k.delta.ciHigh,
          };
        }),
      ),
    [answer.data, state.share],
  );
  const options = useMemo((): Plot.PlotOptions | null => {
    const shown = rows.filter((r) => r.mean !== null);
    if (!shown.length) return null;
    const groups = new Set(rows.map((r) => r.group)).size;
    const topics = new Set(rows.map((r) => r.topic)).size;
    const fy = groups > 1 ? 'group' : undefined;
    return {
      width: Math.max(640, Math.min(1200, innerWidth - 48)),
      height: 60 + topics * groups * 22,
      marginLeft: 130,
      marginRight: groups > 1 ? 140 : 20,
      x: { label: `${state.share === 'net' ? 'net' : 'path'} share of the value change`, domain: [0, 1], grid: true, percent: false },
      y: { label: null },
      fx: { label: null },
      fy: { label: null },
      color: { legend: groups > 1, label: 'group' },
      marks: [
        Plot.ruleY(shown, { y: 'topic', x1: 'ciLow', x2: 'ciHigh', fx: 'stageKind', fy, stroke: 'group', strokeWidth: 2 }),
        Plot.dot(shown, { x: 'mean', y: 'topic', fx: 'stageKind', fy, fill: 'group', r: 4 }),
        Plot.tip(
          shown,
          Plot.pointer({
            lineWidth: 60,
            maxRadius: 80,
            x: 'mean',
            y: 'topic',
            fx: 'stageKind',
            fy,
            channels: {
              group: 'group',
              topic: 'topic',
              stage: 'stageKind',
              share: 'mean',
              'CI low': 'ciLow',
              'CI high': 'ciHigh',
              runs: 'runs',
              'n (share defined)': 'n',
              'mean Δ': 'deltaMean',
            },
            format: {
              x: false,
              y: false,
              fx: false,
              fy: false,
              share: exact,
              'CI low': exact,
              'CI high': exact,
              runs: exact,
              'n (share defined)': exact,
              'mean Δ': exact,
            },
          }),
        ),
      ],
    };
  }, [rows, state.share]);
  return (
    <section>
      <Controls>
        <Select label="stance" value={oneStance(state)} options={STANCES} onChange={(stance) => update({ stance })} />
        <Select
          label="share"
          value={state.share}
          options={[
            { value: 'net', label: 'net share |Δₖ| / Σ|Δⱼ|' },
            { value: 'path', label: 'path share (path length)' },
          ]}
          onChange={(share) => update({ share })}
        />
        <Checks label="group by" values={state.group} options={GROUP_FACTORS} onChange={(group) => update({ group })} />
      </Controls>
      <Status
        runIds={runIds}
        loading={answer.loading}
        error={answer.error}
        empty={!answer.loading && !options && 'No value change to attribute for this selection.'}
      />
      {options && (
        <>
          <Figure name="driftql-attribution" options={options} answeredAt={answer.answeredAt} />
          <DataActions
            rows={rows}
            columns={ATTRIBUTION_COLUMNS}
            name="driftql-attribution"
            graphiql={graphiqlHref(AttributionSummaryDocument, variables!)}
          />
          <table class="numbers" data-table="attribution">
            <thead>
              <tr>
                <th>group</th>
                <th>topic</th>
                <th>stage kind</th>
                <th>{state.share} share</th>
                <th>{Math.round(state.confidence * 100)}% CI</th>
                <th>runs</th>
                <th title="runs whose share is defined (the change was not 0)">n</th>
                <th>mean Δ</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.group} ${r.topic} ${r.stageKind}`} data-topic={r.topic} data-kind={r.stageKind} data-group={r.group}>
                  <td>{r.group}</td>
                  <td>{r.topic}</td>
                  <td>{r.stageKind}</td>
                  <td data-value={r.mean ?? ''}>{fmt(r.mean)}</td>
                  <td>
                    [{fmt(r.ciLow)}, {fmt(r.ciHigh)}]
                  </td>
                  <td>{r.runs}</td>
                  <td>{r.n}</td>
                  <td data-value={r.deltaMean ?? ''}>{fmt(r.deltaMean)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
