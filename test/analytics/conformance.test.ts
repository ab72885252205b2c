import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { driftMetrics, mean, sampleSd, stageAttribution, valueFromMeanSd, type CheckpointValue, type StagePath } from '../../src/analytics';
import { STANCES, type Stance } from '../../src/domain';
import { FIXTURE_DIR, Mismatches, checkpointKey, loadConformanceFixture } from './conformance-fixture';
import { runPaths } from './run-paths';

type ValueRow = { run: string; stage: string; step: number; topic: string; n: number } & Record<Stance, number> &
  Record<`${Stance}_half`, number>;
interface DriftRow {
  run: string;
  topic: string;
  stance: Stance;
  stage: string;
  magnitude: number;
  magnitudeExtremum: number;
  driftTime: number;
  startValue: number;
  endValue: number;
  extremumValue: number;
  extremumStep: number;
}
interface AttributionRow {
  run: string;
  topic: string;
  stance: Stance;
  totalDelta: number;
  stages: { stage: string; delta: number; netShare: number | null; pathLength: number; pathShare: number | null }[];
}
interface OutcomeRow {
  run: string;
  stance: Stance;
  magnitude: number;
  driftTime: number;
  endValue: number;
}
interface ExpectedMetrics {
  confidence: number;
  values: ValueRow[];
  drift: DriftRow[];
  attribution: AttributionRow[];
  outcomes: OutcomeRow[];
}

const expected = JSON.parse(readFileSync(join(FIXTURE_DIR, 'expected', 'metrics.json'), 'utf8')) as ExpectedMetrics;
const confidence = expected.confidence;
const fixture = loadConformanceFixture();
const checkpointsByKey = new Map(fixture.checkpoints.map((c) => [checkpointKey(c.run, c.stage, c.step, c.topic), c]));

function stanceIndex(stance: Stance): number {
  return STANCES.indexOf(stance);
}

/** A checkpoint's value and half-width from its prompt means, as the stored mean and sd feed them. */
function valueOfPrompts(promptMeans: number[], confidence: number) {
  return valueFromMeanSd(promptMeans.length, mean(promptMeans), promptMeans.length < 2 ? null : sampleSd(promptMeans), confidence);
}

/** Paths of one run/topic/stance built from the fixture through the code under test. */
function pathsFor(run: string, topic: string, stance: Stance): StagePath[] {
  const stages = fixture.stagesByRun.get(run);
  if (stages === undefined) throw new Error(`run ${run} is not in the manifest`);
  const checkpoints: CheckpointValue[] = fixture.checkpoints
    .filter((c) => c.run === run && c.topic === topic)
    .map((c) => ({
      stage: c.stage,
      step: c.step,
      ...valueOfPrompts(
        c.promptMeans.map((p) => p[stanceIndex(stance)]!),
        confidence,
      ),
    }));
  // T_k is a property of the run's stage: the largest evaluated step over all of its topics.
  return runPaths(
    stages,
    checkpoints,
    fixture.checkpoints.filter((c) => c.run === run),
  );
}

const runTopics = [...new Set(fixture.checkpoints.map((c) => JSON.stringify([c.run, c.topic])))].map(
  (k) => JSON.parse(k) as [string, string],
);

describe('conformance fixture (expected/metrics.json, tolerance 1e-9)', () => {
  it('reads every run of the manifest from the union of both observation files', () => {
    const runsWithData = new Set(fixture.checkpoints.map((c) => c.run));
    expect([...runsWithData].sort()).toEqual([...fixture.stagesByRun.keys()].sort());
    // The hard-label file carries a run of its own; without it the fixture is one run short.
    expect(runsWithData.has('llama-3-3b.wildchat.ppo.ultrafeedback.s0')).toBe(true);
  });

  it('reproduces every checkpoint value, half-width and n', () => {
    expect(fixture.checkpoints).toHaveLength(expected.values.length);
    const miss = new Mismatches();
    for (const row of expected.values) {
      const label = `${row.run} ${row.stage}@${row.step} ${row.topic}`;
      const cp = checkpointsByKey.get(checkpointKey(row.run, row.stage, row.step, row.topic));
      if (cp === undefined) {
        miss.lines.push(`${label}: no observations`);
        continue;
      }
      for (const stance of STANCES) {
        const v = valueOfPrompts(
          cp.promptMeans.map((p) => p[stanceIndex(stance)]!),
          confidence,
        );
        miss.near(`${label} ${stance} value`, v.value, row[stance]);
        miss.near(`${label} ${stance} half`, v.half, row[`${stance}_half`]);
        miss.equal(`${label} ${stance} n`, v.n, row.n);
      }
    }
    expect(miss.lines).toEqual([]);
    expect(miss.checked).toBe(expected.values.length * 9);
  });

  it('reproduces the values from mean and sd (as DuckDB aggregates them)', () => {
    const miss = new Mismatches();
    for (const row of expected.values) {
      const cp = checkpointsByKey.get(checkpointKey(row.run, row.stage, row.step, row.topic))!;
      for (const stance of STANCES) {
        const x = cp.promptMeans.map((p) => p[stanceIndex(stance)]!);
        const label = `${row.run} ${row.stage}@${row.step} ${row.topic} ${stance}`;
        const fromSd = valueFromMeanSd(x.length, mean(x), sampleSd(x), confidence);
        for (const [name, v] of [['meanSd', fromSd]] as const) {
          miss.near(`${label} ${name} value`, v.value, row[stance]);
          miss.near(`${label} ${name} half`, v.half, row[`${stance}_half`]);
          miss.equal(`${label} ${name} n`, v.n, row.n);
        }
      }
    }
    expect(miss.lines).toEqual([]);
  });

  it('reproduces drift magnitude (LAST and EXTREMUM), drift time and the reported points', () => {
    const computedRows = runTopics.flatMap(([run, topic]) => STANCES.flatMap((stance) => driftMetrics(pathsFor(run, topic, stance))));
    expect(computedRows).toHaveLength(expected.drift.length);

    const miss = new Mismatches();
    for (const row of expected.drift) {
      const label = `${row.run} ${row.topic} ${row.stance} ${row.stage}`;
      const paths = pathsFor(row.run, row.topic, row.stance);
      const last = driftMetrics(paths, 'LAST').find((d) => d.stage === row.stage);
      const extremum = driftMetrics(paths, 'EXTREMUM').find((d) => d.stage === row.stage);
      if (last === undefined || extremum === undefined) {
        miss.lines.push(`${label}: no drift row`);
        continue;
      }
      miss.near(`${label} magnitude`, last.magnitude, row.magnitude);
      miss.near(`${label} magnitudeLast`, last.magnitudeLast, row.magnitude);
      miss.near(`${label} magnitudeExtremum`, last.magnitudeExtremum, row.magnitudeExtremum);
      miss.near(`${label} EXTREMUM magnitude`, extremum.magnitude, row.magnitudeExtremum);
      miss.near(`${label} driftTime`, last.driftTime, row.driftTime);
      // The fixture has one drift time per row: the endpoint option must not move it.
      miss.near(`${label} EXTREMUM driftTime`, extremum.driftTime, row.driftTime);
      miss.near(`${label} startValue`, last.startValue, row.startValue);
      miss.near(`${label} endValue`, last.endValue, row.endValue);
      miss.near(`${label} extremumValue`, last.extremumValue, row.extremumValue);
      miss.equal(`${label} extremumStep`, last.extremumStep, row.extremumStep);
      miss.near(`${label} EXTREMUM extremumValue`, extremum.extremumValue, row.extremumValue);
      miss.equal(`${label} EXTREMUM extremumStep`, extremum.extremumStep, row.extremumStep);
    }
    expect(miss.lines).toEqual([]);
  });

  it('reproduces stage attribution', () => {
    expect(runTopics.length * STANCES.length).toBe(expected.attribution.length);
    const miss = new Mismatches();
    for (const row of expected.attribution) {
      const label = `${row.run} ${row.topic} ${row.stance}`;
      const a = stageAttribution(pathsFor(row.run, row.topic, row.stance));
      miss.near(`${label} totalDelta`, a.totalDelta, row.totalDelta);
      miss.equal(`${label} stage list`, a.stages.map((s) => s.stage).join(','), row.stages.map((s) => s.stage).join(','));
      row.stages.forEach((e, i) => {
        const s = a.stages[i];
        miss.near(`${label} ${e.stage} delta`, s?.delta, e.delta);
        miss.near(`${label} ${e.stage} netShare`, s?.netShare, e.netShare);
        miss.near(`${label} ${e.stage} pathLength`, s?.pathLength, e.pathLength);
        miss.near(`${label} ${e.stage} pathShare`, s?.pathShare, e.pathShare);
      });
    }
    expect(miss.lines).toEqual([]);
  });

  it('reproduces the per-run ANOVA outcomes (last preference stage, topics weighed equally)', () => {
    const miss = new Mismatches();
    for (const row of expected.outcomes) {
      const topics = runTopics.filter(([run]) => run === row.run).map(([, topic]) => topic);
      const perTopic = topics.map((topic) => {
        const rows = driftMetrics(pathsFor(row.run, topic, row.stance)).filter((d) => d.kind === 'preference');
        return rows[rows.length - 1]!;
      });
      const label = `${row.run} ${row.stance}`;
      miss.near(`${label} magnitude`, mean(perTopic.map((d) => d.magnitude)), row.magnitude);
      miss.near(`${label} driftTime`, mean(perTopic.map((d) => d.driftTime)), row.driftTime);
      miss.near(`${label} endValue`, mean(perTopic.map((d) => d.endValue)), row.endValue);
    }
    expect(miss.lines).toEqual([]);
    expect(miss.checked).toBe(expected.outcomes.length * 3);
  });
});
