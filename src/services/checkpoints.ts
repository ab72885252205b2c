/**
 * Loads per-checkpoint values (pre-aggregated at ingest) for a set of runs and turns them into
 * the stage paths every metric is computed from. The only SQL the analytic queries need.
 */
import {
  resolveStages,
  stageOffsets,
  stagePaths,
  valueFromMeanSd,
  type CheckpointValue,
  type RunStage,
  type StagePath,
} from '../analytics';
import type { DriftDb } from '../db/client';
import type { Stance } from '../domain';
import type { RunRow, ScopedCatalog, StageRow } from './catalog.service';
import { yielder } from './yielder';

interface Row {
  stage: string;
  step: number;
  n: number;
  v: Record<Stance, number>;
  sd: Record<Stance, number | null>;
}

export interface RunCheckpoints {
  run: RunRow;
  /** The run's declared stages with T_k resolved (analytics `resolveStages`). */
  stages: (StageRow & RunStage)[];
  /** topic -> checkpoints in stage order, then step */
  topics: Map<string, Row[]>;
  /** Stage name -> global-step offset (analytics `stageOffsets`). */
  offsets: Map<string, number>;
}

export async function loadCheckpoints(
  db: DriftDb,
  catalog: ScopedCatalog,
  runIds: number[],
  topics: string[] | null,
): Promise<RunCheckpoints[]> {
  if (!runIds.length) return [];
  const [runs, stages, lastStep, rows] = await Promise.all([
    catalog.runsById(runIds),
    catalog.stagesOf(runIds),
    catalog.lastSteps(),
    db.query(
      `SELECT c.run_id, s.name AS stage, c.step, t.name AS topic, c.prompts AS n,
              c.v_support, c.v_neutral, c.v_oppose, c.sd_support, c.sd_neutral, c.sd_oppose
       FROM checkpoint_values c JOIN stages s ON s.id = c.stage_id JOIN topics t ON t.id = c.topic_id
       WHERE c.run_id = ANY($1) ${topics ? 'AND t.name = ANY($2)' : ''}
       ORDER BY c.run_id, t.name, s.ordinal, c.step`,
      topics ? [runIds, topics] : [runIds],
    ),
  ]);
  const byRun = new Map<number, RunCheckpoints>();
  const runById = new Map(runs.map((r) => [r.id, r]));
  for (const id of runIds) {
    const run = runById.get(id);
    if (run) byRun.set(id, { run, stages: [], topics: new Map(), offsets: new Map() });
  }
  const declared = new Map<number, StageRow[]>();
  for (const s of stages) declared.set(s.runId, [...(declared.get(s.runId) ?? []), s]);
  for (const [runId, list] of declared) {
    const rc = byRun.get(runId);
    if (!rc) continue;
    // T_k is a property of the run's stage: its largest evaluated step over every topic.
    const largest = new Map<string, number>();
    for (const s of list) {
      const step = lastStep.get(s.id);
      if (step !== undefined) largest.set(s.name, step);
    }
    const resolved = resolveStages(list, largest);
    rc.stages = list.map((s, i) => ({ ...s, T: resolved[i]!.T }));
    rc.offsets = stageOffsets(resolved);
  }
  const pause = yielder();
  for (const [i, r] of rows.entries()) {
    if (i % 1024 === 0) await pause();
    const rc = byRun.get(Number(r.run_id));
    if (!rc) continue;
    const topic = String(r.topic);
    let list = rc.topics.get(topic);
    if (!list) rc.topics.set(topic, (list = []));
    list.push({
      stage: String(r.stage),
      step: Number(r.step),
      n: Number(r.n),
      v: { support: Number(r.v_support), neutral: Number(r.v_neutral), oppose: Number(r.v_oppose) },
      sd: {
        support: r.sd_support === null ? null : Number(r.sd_support),
        neutral: r.sd_neutral === null ? null : Number(r.sd_neutral),
        oppose: r.sd_oppose === null ? null : Number(r.sd_oppose),
      },
    });
  }
  return runIds.map((id) => byRun.get(id)).filter((x): x is RunCheckpoints => x !== undefined);
}

/** Checkpoint values of one run, topic and stance with half-widths at `confidence` (README Metrics 2-3). */
export function checkpointValues(rows: readonly Row[], stance: Stance, confidence: number): CheckpointValue[] {
  return rows.map((r) => ({ stage: r.stage, step: r.step, ...valueFromMeanSd(r.n, r.v[stance], r.sd[stance], confidence) }));
}

export function pathsFor(rc: RunCheckpoints, topic: string, stance: Stance, confidence: number): StagePath[] {
  return stagePaths(rc.stages, checkpointValues(rc.topics.get(topic) ?? [], stance, confidence));
}
