/**
 * Effects: how much of a per-run outcome the algorithm, the data and other factors explain. The
 * ANOVA table with effect-size bars, the cell means with their intervals, and the pairwise
 * comparisons of the first factor's levels (within each level of the second, when there is one).
 */
import * as Plot from '@observablehq/plot';
import { useMemo } from 'preact/hooks';
import { EffectDecompositionDocument, type EffectDecompositionQueryVariables } from '../../../clients/typescript/src/client';
import { graphiqlHref, useQuery } from '../api';
import { Figure } from '../figure';
import { EFFECT_FACTORS, OUTCOMES, oneStance, STANCES, SUMS_OF_SQUARES, type State } from '../state';
import { askable, Checks, Controls, DataActions, exact, fmt, pFmt, Select, Status, type ViewProps } from '../ui';

function effectVariables(state: State, runIds: string[] | null): EffectDecompositionQueryVariables {
  const [first, second] = state.factors;
  return {
    input: {
      outcome: state.outcome,
      stance: oneStance(state),
      stageKind: state.kind,
      factors: state.factors,
      interactions: state.interactions,
      sumOfSquares: state.ss,
      runIds: runIds ?? undefined,
      confidence: state.confidence,
      pairwise: first ? { factor: first, within: second } : undefined,
    },
  };
}

const WIDTH = () => Math.max(560, Math.min(1100, innerWidth - 48));

export function EffectsView({ state, update, runIds }: ViewProps) {
  const variables = askable(runIds) && state.factors.length ? effectVariables(state, runIds) : null;
  const answer = useQuery(EffectDecompositionDocument, variables);
  const e = answer.data?.effectDecomposition;
  const [first, second] = state.factors;
  const cells = useMemo(
    () =>
      (e?.cells ?? []).map((c) => ({
        ...c,
        x: c.levels.find((l) => l.factor === first)?.level ?? '',
        panel: c.levels
          .filter((l) => l.factor !== first)
          .map((l) => l.level)
          .join(' · '),
        label: c.levels.map((l) => `${l.factor}=${l.level}`).join(', '),
      })),
    [e, first],
  );
  const comparisons = useMemo(
    () => (e?.pairwise?.comparisons ?? []).map((c) => ({ ...c, pair: `${c.within ? `${c.within}: ` : ''}${c.levelA} − ${c.levelB}` })),
    [e],
  );
  const outcomeLabel = `${state.outcome.toLowerCase().replace(/_/g, ' ')} (${oneStance(state).toLowerCase()}, ${state.kind.toLowerCase()})`;
  const charts = useMemo(() => {
    if (!e) return null;
    const sizes: Plot.PlotOptions = {
      width: WIDTH(),
      height: 40 + 28 * e.terms.length,
      marginLeft: 170,
      x: { label: 'η² (share of the total sum of squares)', domain: [0, 1], grid: true },
      y: { label: null, domain: e.terms.map((t) => t.term) },
      marks: [
        Plot.barX(e.terms, { x: 'etaSq', y: 'term', fill: '#4e79a7' }),
        Plot.text(e.terms, { x: 'etaSq', y: 'term', text: (t: { etaSq: number | null }) => fmt(t.etaSq, 3), textAnchor: 'start', dx: 4 }),
        Plot.tip(
          e.terms,
          Plot.pointerY({
            x: 'etaSq',
            y: 'term',
            channels: { 'η²': 'etaSq', 'partial η²': 'partialEtaSq', 'ω²': 'omegaSq', F: 'fValue', p: 'pValue', df: 'df' },
            format: { x: false, y: true, 'η²': exact, 'partial η²': exact, 'ω²': exact, F: exact, p: exact, df: exact },
          }),
        ),
        Plot.ruleX([0]),
      ],
    };
    const means: Plot.PlotOptions = {
      width: WIDTH(),
      height: 340,
      marginBottom: 60,
      x: { label: first ?? null, tickRotate: new Set(cells.map((c) => c.x)).size > 6 ? -30 : 0 },
      y: { label: outcomeLabel, grid: true },
      fx: { label: null },
      marks: [
        Plot.ruleX(cells, { x: 'x', fx: second ? 'panel' : undefined, y1: 'ciLow', y2: 'ciHigh', stroke: '#4e79a7', strokeWidth: 2 }),
        Plot.dot(cells, { x: 'x', fx: second ? 'panel' : undefined, y: 'mean', fill: '#4e79a7', r: 4 }),
        Plot.tip(
          cells,
          Plot.pointerX({
            lineWidth: 60,
            x: 'x',
            y: 'mean',
            fx: second ? 'panel' : undefined,
            channels: { cell: 'label', mean: 'mean', 'CI low': 'ciLow', 'CI high': 'ciHigh', sd: 'sd', count: 'count' },
            format: { x: false, y: false, fx: false, mean: exact, 'CI low': exact, 'CI high': exact, sd: exact, count: exact },
          }),
        ),
      ],
    };
    const shown = comparisons.filter((c) => c.ciLow !== null && c.ciHigh !== null);
    const pairs: Plot.PlotOptions | null = shown.length
      ? {
          width: WIDTH(),
          height: 40 + 26 * shown.length,
          marginLeft: 260,
          x: {
            label: `difference in ${state.outcome.toLowerCase().replace(/_/g, ' ')} (A − B), ${Math.round(state.confidence * 100)}% Welch interval`,
            grid: true,
          },
          y: { label: null, domain: shown.map((c) => c.pair) },
          marks: [
            Plot.ruleX([0], { stroke: '#8a93a6' }),
            Plot.ruleY(shown, { y: 'pair', x1: 'ciLow', x2: 'ciHigh', stroke: '#e15759', strokeWidth: 2 }),
            Plot.dot(shown, { x: 'difference', y: 'pair', fill: '#e15759', r: 4 }),
            Plot.tip(
              shown,
              Plot.pointerY({
                lineWidth: 60,
                x: 'difference',
                y: 'pair',
                channels: { difference: 'difference', 'CI low': 'ciLow', 'CI high': 'ciHigh', p: 'pValue', 'p (Holm)': 'pAdjusted' },
                format: { x: false, y: true, difference: exact, 'CI low': exact, 'CI high': exact, p: exact, 'p (Holm)': exact },
              }),
            ),
          ],
        }
      : null;
    return { sizes, means, pairs };
  }, [e, cells, comparisons, first, second, outcomeLabel, state.outcome, state.confidence]);
  const graphiql = variables ? graphiqlHref(EffectDecompositionDocument, variables) : '';
  return (
    <section>
      <Controls>
        <Select label="outcome" value={state.outcome} options={OUTCOMES} onChange={(outcome) => update({ outcome })} />
        <Select label="stance" value={oneStance(state)} options={STANCES} onChange={(stance) => update({ stance })} />
        <Select
          label="stage kind"
          value={state.kind}
          options={['PREFERENCE', 'SFT', 'OTHER'] as const}
          onChange={(kind) => update({ kind })}
        />
        <Checks label="factors" values={state.factors} options={EFFECT_FACTORS} onChange={(factors) => update({ factors })} />
        <label>
          <input
            type="checkbox"
            aria-label="interactions"
            checked={state.interactions}
            onChange={(ev) => update({ interactions: ev.currentTarget.checked })}
          />{' '}
          interactions
        </label>
        <Select label="sums of squares" value={state.ss} options={SUMS_OF_SQUARES} onChange={(ss) => update({ ss })} />
      </Controls>
      <Status runIds={runIds} loading={answer.loading} error={answer.error} empty={!state.factors.length && 'Tick at least one factor.'} />
      {e && charts && (
        <>
          <p class="summary">
            {e.n} observations, {e.sumOfSquares.replace('_', ' ')} sums of squares
            {e.excludedRuns.length
              ? `; ${e.excludedRuns.length} runs left out (${e.excludedRuns[0]!.runKey}: ${e.excludedRuns[0]!.reason})`
              : ''}
            {e.note ? `. ${e.note}` : ''}
          </p>
          <h3>ANOVA</h3>
          <table class="numbers" data-table="anova">
            <thead>
              <tr>
                <th>term</th>
                <th>df</th>
                <th>sum sq</th>
                <th>mean sq</th>
                <th>F</th>
                <th>p</th>
                <th>η²</th>
                <th>partial η²</th>
                <th>ω²</th>
              </tr>
            </thead>
            <tbody>
              {e.terms.map((t) => (
                <tr key={t.term} data-term={t.term}>
                  <td>{t.term}</td>
                  <td>{t.df}</td>
                  <td data-value={t.sumSq}>{fmt(t.sumSq)}</td>
                  <td>{fmt(t.meanSq)}</td>
                  <td data-value={t.fValue ?? ''}>{fmt(t.fValue)}</td>
                  <td data-value={t.pValue ?? ''}>{pFmt(t.pValue)}</td>
                  <td data-value={t.etaSq ?? ''}>{fmt(t.etaSq)}</td>
                  <td>{fmt(t.partialEtaSq)}</td>
                  <td>{fmt(t.omegaSq)}</td>
                </tr>
              ))}
              <tr data-term="Residuals">
                <td>Residuals</td>
                <td>{e.residual.df}</td>
                <td data-value={e.residual.sumSq}>{fmt(e.residual.sumSq)}</td>
                <td>{fmt(e.residual.meanSq)}</td>
                <td colSpan={5} />
              </tr>
            </tbody>
          </table>
          <DataActions
            rows={[...e.terms, { term: 'Residuals', ...e.residual }]}
            columns={['term', 'df', 'sumSq', 'meanSq', 'fValue', 'pValue', 'etaSq', 'partialEtaSq', 'omegaSq']}
            name="driftql-anova"
            graphiql={graphiql}
          />
          <h3>Effect sizes</h3>
          <Figure name="driftql-effect-sizes" options={charts.sizes} answeredAt={answer.answeredAt} />
          <h3>Cell means</h3>
          <Figure name="driftql-cell-means" options={charts.means} answeredAt={answer.answeredAt} />
          <DataActions
            rows={cells.map((c) => ({ ...c, levels: c.label }))}
            columns={['levels', 'count', 'mean', 'sd', 'ciLow', 'ciHigh']}
            name="driftql-cell-means"
            graphiql={graphiql}
          />
          {e.pairwise && (
            <>
              <h3>
                Pairwise: {e.pairwise.factor}
                {e.pairwise.within ? ` within ${e.pairwise.within}` : ''} ({e.pairwise.adjustment})
              </h3>
              {charts.pairs && <Figure name="driftql-pairwise" options={charts.pairs} answeredAt={answer.answeredAt} />}
              <table class="numbers" data-table="pairwise">
                <thead>
                  <tr>
                    <th>comparison</th>
                    <th>n</th>
                    <th>difference</th>
                    <th>{Math.round(e.pairwise.confidence * 100)}% CI</th>
                    <th>p</th>
                    <th>p (Holm)</th>
                  </tr>
                </thead>
                <tbody>
                  {comparisons.map((c) => (
                    <tr key={c.pair} data-pair={c.pair}>
                      <td>{c.pair}</td>
                      <td>
                        {c.nA} / {c.nB}
                      </td>
                      <td data-value={c.difference}>{fmt(c.difference)}</td>
                      <td>
                        [{fmt(c.ciLow)}, {fmt(c.ciHigh)}]
                      </td>
                      <td>{pFmt(c.pValue)}</td>
                      <td data-value={c.pAdjusted ?? ''}>{pFmt(c.pAdjusted)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <DataActions
                rows={comparisons}
                columns={[
                  'within',
                  'levelA',
                  'levelB',
                  'nA',
                  'nB',
                  'meanA',
                  'meanB',
                  'difference',
                  'ciLow',
                  'ciHigh',
                  'pValue',
                  'pAdjusted',
                  'note',
                ]}
                name="driftql-pairwise"
                graphiql={graphiql}
              />
            </>
          )}
        </>
      )}
    </section>
  );
}
