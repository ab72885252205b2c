/**
 * Small drift-trace/v1 bundle factories for ingest tests: a valid manifest and observation rows,
 * serialisers to CSV / JSONL, and a writer that lays a bundle out in a folder. Everything is
 * deterministic so that tests can recompute expected values from the rows they wrote.
 */
import { mulberry32 } from '../../seeds/demo';
import fs from 'node:fs';
import path from 'node:path';

export type Cell = string | number | null | undefined;
/** One observation row, keyed by file column name (canonical or renamed). */
export type ObsRow = Record<string, Cell>;

export interface ManifestStage {
  name: string;
  kind: string;
  algorithm?: string;
  dataset?: string;
  totalSteps?: number;
  [k: string]: unknown;
}

export interface ManifestRun {
  id: string;
  model: string;
  seed?: number;
  stages: ManifestStage[];
  [k: string]: unknown;
}

export interface ManifestJson {
  format: string;
  dataset: { name: string; lab: string; version: string; [k: string]: unknown };
  runs: ManifestRun[];
  files: { path: string; format?: string; columns?: Record<string, string>; delimiter?: string }[];
  columns?: Record<string, string>;
  stanceLabels?: Record<string, string>;
  aliases?: { model?: Record<string, string>; algorithm?: Record<string, string>; dataset?: Record<string, string> };
  [k: string]: unknown;
}

export const CANONICAL = ['run_id', 'stage', 'step', 'topic', 'prompt_id', 'generation', 'p_support', 'p_neutral', 'p_oppose'] as const;

/** mulberry32: a tiny deterministic PRNG. */
export const rng = mulberry32;

/** A probability triple with 6 decimals that sums to exactly 1 in decimal (p_oppose takes the rest). */
export function probTriple(rand: () => number): [number, number, number] {
  const s = Math.round(rand() * 0.7 * 1e6);
  const n = Math.round(rand() * (1e6 - s) * 0.8);
  const o = 1e6 - s - n;
  return [s / 1e6, n / 1e6, o / 1e6];
}

export function stagesFor(preferenceAlgorithm = 'dpo'): ManifestStage[] {
  return [
    { name: 'base', kind: 'base' },
    { name: 'sft', kind: 'sft', algorithm: 'sft', dataset: 'wildchat', totalSteps: 100 },
    {
      name: 'po',
      kind: 'preference',
      algorithm: preferenceAlgorithm,
      dataset: 'ultrafeedback',
      totalSteps: 50,
      hyperparameters: { beta: 0.1 },
    },
  ];
}

export interface SmallBundleOptions {
  lab?: string;
  name?: string;
  version?: string;
  /** Seed for the probabilities: a different seed gives a "modified" bundle with the same keys. */
  seed?: number;
  runs?: string[];
  topics?: string[];
  prompts?: number;
  generations?: number;
  /** Checkpoint steps per stage name. */
  steps?: Record<string, number[]>;
}

export const SMALL_STEPS: Record<string, number[]> = { base: [0], sft: [0, 100], po: [0, 50] };

/** The valid small manifest: 2 runs with base / sft / preference stages, one CSV file. */
export function smallManifest(o: SmallBundleOptions = {}): ManifestJson {
  const runs = o.runs ?? ['m.s0', 'm.s1'];
  return {
    format: 'drift-trace/v1',
    dataset: { name: o.name ?? 'small', lab: o.lab ?? 'lab-a', version: o.version ?? '1', description: 'test bundle' },
    runs: runs.map((id, i) => ({ id, model: 'tiny-1b', seed: i, stages: stagesFor(i % 2 ? 'kto' : 'dpo') })),
    files: [{ path: 'observations.csv', format: 'csv' }],
  };
}

/** Valid rows for smallManifest: runs × stages × steps × topics × prompts × generations. */
export function smallRows(o: SmallBundleOptions = {}): ObsRow[] {
  const rand = rng(o.seed ?? 1);
  const runs = o.runs ?? ['m.s0', 'm.s1'];
  const topics = o.topics ?? ['immigration', 'gun control'];
  const prompts = o.prompts ?? 2;
  const generations = o.generations ?? 2;
  const steps = o.steps ?? SMALL_STEPS;
  const rows: ObsRow[] = [];
  for (const run of runs) {
    for (const [stage, stageSteps] of Object.entries(steps)) {
      for (const step of stageSteps) {
        for (const topic of topics) {
          for (let p = 0; p < prompts; p++) {
            for (let g = 0; g < generations; g++) {
              const [ps, pn, po] = probTriple(rand);
              rows.push({
                run_id: run,
                stage,
                step,
                topic,
                prompt_id: `${topic.slice(0, 3).toUpperCase()}-${String(p).padStart(3, '0')}`,
                generation: g,
                p_support: ps,
                p_neutral: pn,
                p_oppose: po,
              });
            }
          }
        }
      }
    }
  }
  return rows;
}

function csvCell(v: Cell, delimiter: string): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return s.includes(delimiter) || s.includes('"') || s.includes('\n') ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text with a header; columns default to the keys of the first row. */
export function toCsv(rows: ObsRow[], columns?: readonly string[], delimiter = ','): string {
  const cols = columns ?? Object.keys(rows[0] ?? Object.fromEntries(CANONICAL.map((c) => [c, ''])));
  const lines = [cols.join(delimiter), ...rows.map((r) => cols.map((c) => csvCell(r[c], delimiter)).join(delimiter))];
  return lines.join('\n') + '\n';
}

/** JSON Lines text; undefined cells are left out. */
export function toJsonl(rows: ObsRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export interface BundleContent {
  manifest: ManifestJson | string;
  /** file path inside the bundle -> content */
  files: Record<string, string | Buffer>;
}

/** Writes a bundle folder (created if needed) and returns its path. */
export function writeBundle(dir: string, b: BundleContent): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'manifest.json'), typeof b.manifest === 'string' ? b.manifest : JSON.stringify(b.manifest, null, 2));
  for (const [rel, content] of Object.entries(b.files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

/** The valid small bundle as content, ready to break. */
export function smallBundle(o: SmallBundleOptions = {}): { manifest: ManifestJson; rows: ObsRow[]; files: Record<string, string> } {
  const rows = smallRows(o);
  return { manifest: smallManifest(o), rows, files: { 'observations.csv': toCsv(rows, CANONICAL) } };
}

/** A deep copy, so that a test can mutate a factory result freely. */
export function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}
