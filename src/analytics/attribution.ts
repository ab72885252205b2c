/**
 * Attribution across runs: how much of the value change came from each kind of stage, averaged
 * over a group of runs with its uncertainty ("what share of the change came from SFT?").
 *
 * Per run, the stages of one kind are taken together (README Metrics 7 per stage, summed):
 * delta = Σ Δ_k, absDelta = Σ |Δ_k|, netShare = Σ netShare_k = absDelta / Σ_j |Δ_j|, and
 * pathShare = Σ pathShare_k, over the run's stages of that kind. Across runs, each is summarised
 * by its mean with a t interval (README Metrics 3 over the runs' values); a run whose share is
 * null (no net movement, or none at all) does not count in that share's n.
 */
import type { StageKind } from '../domain';
import type { Attribution } from './drift';
import { estimateOf, type Estimate } from './grouping';
import { DEFAULT_CONFIDENCE } from './stats';

export interface KindAttribution {
  kind: StageKind;
  /** Runs with a stage of this kind (with data for the topic). */
  runs: number;
  delta: Estimate;
  absDelta: Estimate;
  /** Null when no run has a defined share. */
  netShare: Estimate | null;
  pathShare: Estimate | null;
}

/** Training order of the kinds a summary lists (base stages carry no change). */
const KIND_ORDER: readonly StageKind[] = ['sft', 'other', 'preference'];

export function summariseAttribution(runs: readonly Attribution[], confidence: number = DEFAULT_CONFIDENCE): KindAttribution[] {
  const byKind = new Map<StageKind, { delta: number[]; absDelta: number[]; netShare: number[]; pathShare: number[] }>();
  for (const run of runs) {
    const kinds = new Map<StageKind, { delta: number; absDelta: number; netShare: number | null; pathShare: number | null }>();
    for (const s of run.stages) {
      const k = kinds.get(s.kind) ?? { delta: 0, absDelta: 0, netShare: null, pathShare: null };
      k.delta += s.delta;
      k.absDelta += Math.abs(s.delta);
      // A run's shares are all null or all defined (one denominator per run).
      if (s.netShare !== null) k.netShare = (k.netShare ?? 0) + s.netShare;
      if (s.pathShare !== null) k.pathShare = (k.pathShare ?? 0) + s.pathShare;
      kinds.set(s.kind, k);
    }
    for (const [kind, k] of kinds) {
      let acc = byKind.get(kind);
      if (!acc) byKind.set(kind, (acc = { delta: [], absDelta: [], netShare: [], pathShare: [] }));
      acc.delta.push(k.delta);
      acc.absDelta.push(k.absDelta);
      if (k.netShare !== null) acc.netShare.push(k.netShare);
      if (k.pathShare !== null) acc.pathShare.push(k.pathShare);
    }
  }
  return [...byKind.entries()]
    .sort(([a], [b]) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b))
    .map(([kind, acc]) => ({
      kind,
      runs: acc.delta.length,
      delta: estimateOf(acc.delta, confidence),
      absDelta: estimateOf(acc.absDelta, confidence),
      netShare: acc.netShare.length ? estimateOf(acc.netShare, confidence) : null,
      pathShare: acc.pathShare.length ? estimateOf(acc.pathShare, confidence) : null,
    }));
}
