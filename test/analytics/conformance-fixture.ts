import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STANCES, type Stance, type StageKind } from '../../src/domain';
import type { StageSpec } from '../../src/analytics';

/**
 * Reads the conformance bundle straight from disk with a deliberately naive CSV split (the
 * fixture has no quoting), independent of the ingest code, and reduces it to prompt means.
 */
export const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'conformance');

interface ManifestStage {
  name: string;
  kind: StageKind;
  totalSteps?: number;
}
interface Manifest {
  runs: { id: string; stages: ManifestStage[] }[];
  files: { path: string; format: string }[];
}

export interface FixtureCheckpoint {
  run: string;
  stage: string;
  step: number;
  topic: string;
  /** One [support, neutral, oppose] prompt-mean vector per prompt, in order of first appearance. */
  promptMeans: [number, number, number][];
}

export interface ConformanceFixture {
  stagesByRun: Map<string, StageSpec[]>;
  checkpoints: FixtureCheckpoint[];
}

export function checkpointKey(run: string, stage: string, step: number, topic: string): string {
  return JSON.stringify([run, stage, step, topic]);
}

export function loadConformanceFixture(): ConformanceFixture {
  const manifest = JSON.parse(readFileSync(join(FIXTURE_DIR, 'manifest.json'), 'utf8')) as Manifest;
  const stagesByRun = new Map<string, StageSpec[]>();
  for (const run of manifest.runs) {
    stagesByRun.set(
      run.id,
      run.stages.map((s) => ({ name: s.name, kind: s.kind, totalSteps: s.totalSteps ?? null })),
    );
  }

  // Observation files are a union of rows: generations of one prompt may come from either file.
  const prompts = new Map<string, { checkpoint: string; sum: [number, number, number]; count: number }>();
  const checkpointsByKey = new Map<string, { run: string; stage: string; step: number; topic: string; prompts: string[] }>();
  for (const file of manifest.files) {
    const lines = readFileSync(join(FIXTURE_DIR, file.path), 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.length > 0);
    const header = lines[0]!.split(',');
    const col = (name: string): number => {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`${file.path} has no column ${name}`);
      return i;
    };
    const [iRun, iStage, iStep, iTopic, iPrompt] = ['run_id', 'stage', 'step', 'topic', 'prompt_id'].map(col) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const hardLabels = header.includes('stance');
    const iStance = hardLabels ? col('stance') : -1;
    const iProbs = hardLabels ? [] : STANCES.map((s) => col(`p_${s}`));

    for (const line of lines.slice(1)) {
      const f = line.split(',');
      const run = f[iRun]!;
      const stage = f[iStage]!;
      const step = Number(f[iStep]);
      const topic = f[iTopic]!;
      let p: [number, number, number];
      if (hardLabels) {
        const stance = f[iStance] as Stance;
        if (!STANCES.includes(stance)) throw new Error(`unknown stance ${stance}`);
        p = STANCES.map((s) => (s === stance ? 1 : 0)) as [number, number, number];
      } else {
        p = iProbs.map((i) => Number(f[i])) as [number, number, number];
      }
      const cpKey = checkpointKey(run, stage, step, topic);
      const promptKey = JSON.stringify([cpKey, f[iPrompt]]);
      let cp = checkpointsByKey.get(cpKey);
      if (cp === undefined) {
        cp = { run, stage, step, topic, prompts: [] };
        checkpointsByKey.set(cpKey, cp);
      }
      let acc = prompts.get(promptKey);
      if (acc === undefined) {
        acc = { checkpoint: cpKey, sum: [0, 0, 0], count: 0 };
        prompts.set(promptKey, acc);
        cp.prompts.push(promptKey);
      }
      for (let s = 0; s < 3; s++) acc.sum[s]! += p[s]!;
      acc.count += 1;
    }
  }

  const checkpoints: FixtureCheckpoint[] = [];
  for (const cp of checkpointsByKey.values()) {
    checkpoints.push({
      run: cp.run,
      stage: cp.stage,
      step: cp.step,
      topic: cp.topic,
      promptMeans: cp.prompts.map((k) => {
        const acc = prompts.get(k)!;
        return acc.sum.map((x) => x / acc.count) as [number, number, number];
      }),
    });
  }
  return { stagesByRun, checkpoints };
}

/** Collects |actual − expected| > tol as readable lines, so one assertion reports every miss. */
export class Mismatches {
  readonly lines: string[] = [];
  checked = 0;

  near(label: string, actual: number | null | undefined, expected: number | null, tol = 1e-9): void {
    this.checked += 1;
    if (expected === null || actual === null || actual === undefined) {
      if (actual !== expected) this.lines.push(`${label}: got ${actual}, expected ${expected}`);
      return;
    }
    if (!(Math.abs(actual - expected) <= tol)) this.lines.push(`${label}: got ${actual}, expected ${expected}`);
  }

  equal(label: string, actual: unknown, expected: unknown): void {
    this.checked += 1;
    if (actual !== expected) this.lines.push(`${label}: got ${String(actual)}, expected ${String(expected)}`);
  }
}
