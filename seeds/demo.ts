/**
 * Deterministic demo data: a drift-trace/v1 bundle shaped like the grid of "Value Drifts: Tracing
 * Value Alignment During LLM Post-Training" (arXiv 2510.26707).
 *
 * Grid: 2 models × 2 SFT datasets × 3 preference algorithms × 4 preference datasets, one training
 * seed per cell (48 runs). Each run is evaluated at base (step 0), at 6 SFT checkpoints and at 5
 * preference checkpoints, on 11 topics × 4 prompts × 3 generations (76,032 observation rows).
 *
 * Built-in dynamics, mirroring the paper's findings:
 * - SFT sets the values early: the SFT trajectory follows 1 − exp(−t/τ) with τ ≈ 7% of the SFT
 *   steps, so ~90% of the SFT change has happened by 20% of the SFT steps.
 * - WildChat and Alpaca SFT end at different stances per topic; the two models differ a little.
 * - Preference optimisation on ultrafeedback / hh-rlhf (small value gap) barely moves the stance;
 *   on synth-support / synth-oppose (value-gap data) it moves support / oppose noticeably.
 * - With the data fixed, algorithms differ: DPO moves most, SimPO less, PPO least (and slower).
 * - Noise: per prompt (shared across runs and per run), per checkpoint, per generation.
 *
 * Randomness comes only from a seeded mulberry32, keyed by names (not by call order across runs),
 * so the same seed gives byte-identical files. Files are written synchronously in ~1 MB chunks.
 *
 * CLI: `node dist/seeds/demo.js <dir> [seed]` writes the demo bundle into <dir>.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface DemoOptions {
  /** Generator seed (not a training seed); default 42. Same seed → byte-identical bundle. */
  seed?: number;
}

export interface SmallBundleOptions {
  /** Number of runs (default 2). Runs cycle through the algorithm × preference-dataset grid. */
  runs?: number;
  /** Observation file format (default csv). */
  format?: 'csv' | 'jsonl';
  /** Generator seed, default 42. */
  seed?: number;
}

export interface BundleSummary {
  /** Number of runs in the manifest. */
  runs: number;
  /** Number of observation rows written (over all files). */
  rows: number;
  /** Observation file paths, relative to the bundle dir, as listed in manifest `files`. */
  files: string[];
}

/** Topic names, in output order. */
export const DEMO_TOPICS = [
  'immigration',
  'abortion',
  'climate change',
  'gun control',
  'death penalty',
  'same-sex marriage',
  'universal healthcare',
  'free speech',
  'animal rights',
  'euthanasia',
  'nuclear energy',
] as const;
export type DemoTopic = (typeof DEMO_TOPICS)[number];

/** Prompt id prefix per topic: prompt ids are `<CODE>-<nnn>`, e.g. `IMM-000`. */
export const DEMO_TOPIC_CODES: Readonly<Record<DemoTopic, string>> = {
  immigration: 'IMM',
  abortion: 'ABO',
  'climate change': 'CLI',
  'gun control': 'GUN',
  'death penalty': 'DEA',
  'same-sex marriage': 'SSM',
  'universal healthcare': 'UHC',
  'free speech': 'FSP',
  'animal rights': 'ANR',
  euthanasia: 'EUT',
  'nuclear energy': 'NUC',
};

export const DEMO_MODELS = ['llama-3-3b', 'qwen-3-4b'] as const;
export const DEMO_SFT_DATASETS = ['wildchat', 'alpaca'] as const;
export const DEMO_ALGORITHMS = ['ppo', 'dpo', 'simpo'] as const;
export const DEMO_PREFERENCE_DATASETS = ['ultrafeedback', 'hh-rlhf', 'synth-support', 'synth-oppose'] as const;

export const DEMO_SFT_TOTAL_STEPS = 1200;
export const DEMO_SFT_STEPS: readonly number[] = [100, 200, 400, 600, 900, 1200];
export const DEMO_PO_TOTAL_STEPS = 200;
export const DEMO_PO_STEPS: readonly number[] = [40, 80, 120, 160, 200];
export const DEMO_PROMPTS_PER_TOPIC = 4;
export const DEMO_GENERATIONS = 3;

const DEFAULT_SEED = 42;

type Model = (typeof DEMO_MODELS)[number];
type SftDataset = (typeof DEMO_SFT_DATASETS)[number];
type Algorithm = (typeof DEMO_ALGORITHMS)[number];
type PrefDataset = (typeof DEMO_PREFERENCE_DATASETS)[number];

/** Typical hyperparameters (beta: KL coefficient for PPO/DPO, reward scale for SimPO). */
const HYPERPARAMETERS: Record<Algorithm, Record<string, number>> = {
  ppo: { beta: 0.05 },
  dpo: { beta: 0.1 },
  simpo: { beta: 2.0, gamma: 1.0 },
};

/** How strongly an algorithm follows the preference data's value signal (DPO > SimPO > PPO). */
const ALGO_GAIN: Record<Algorithm, number> = { dpo: 1.0, simpo: 0.65, ppo: 0.3 };
/** Preference-stage time constant as a fraction of the stage's steps (PPO drifts slowest). */
const ALGO_TAU: Record<Algorithm, number> = { dpo: 0.22, simpo: 0.3, ppo: 0.45 };
/** Models differ a little in how movable they are. */
const MODEL_GAIN: Record<Model, number> = { 'llama-3-3b': 0.95, 'qwen-3-4b': 1.08 };

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** 32-bit FNV-1a hash of a string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny, fast, good-enough seeded PRNG with a 32-bit state, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly uniform: () => number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.uniform = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uniform();
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u1 = 1 - this.next(); // (0, 1]
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
}

/** An independent stream keyed by the generator seed and names. */
function rngFor(seed: number, ...keys: (string | number)[]): Rng {
  return new Rng(fnv1a(`${seed >>> 0}|${keys.join('|')}`));
}

/** One normal draw keyed by names (for fixed per-entity effects). */
function keyedNormal(seed: number, ...keys: (string | number)[]): number {
  const r = rngFor(seed, ...keys);
  r.next(); // decorrelate from the raw hash a little
  return r.normal();
}

// ---------------------------------------------------------------------------------------------
// Latent value model
//
// A stance is a point (L, H): L = lean (logit of support vs oppose), H = hedging (logit of neutral).
// p_support ∝ exp(L/2), p_oppose ∝ exp(−L/2), p_neutral ∝ exp(H).

interface Latent {
  lean: number;
  hedge: number;
}

interface RunSpec {
  id: string;
  model: Model;
  sftDataset: SftDataset;
  algorithm: Algorithm;
  prefDataset: PrefDataset;
  trainingSeed: number;
}

interface BundleSpec {
  seed: number;
  datasetName: string;
  description: string;
  runs: RunSpec[];
  topics: readonly DemoTopic[];
  promptsPerTopic: number;
  generations: number;
  sftSteps: readonly number[];
  sftTotalSteps: number;
  poSteps: readonly number[];
  poTotalSteps: number;
  format: 'csv' | 'jsonl';
  /** Observation file (relative path) for a run. */
  fileFor: (run: RunSpec) => string;
}

/** The untrained model's stance on a topic. */
function baseLatent(seed: number, model: Model, topic: string): Latent {
  return {
    lean: 0.6 * keyedNormal(seed, 'base-lean', topic) + 0.2 * keyedNormal(seed, 'base-lean', model, topic),
    hedge: 0.5 + 0.3 * keyedNormal(seed, 'base-hedge', model, topic),
  };
}

/** The stance SFT converges to: mostly set by the SFT data, a little by the model. */
function sftLatent(seed: number, model: Model, sftDataset: SftDataset, topic: string): Latent {
  const datasetHedge = sftDataset === 'wildchat' ? -0.35 : 0.25;
  return {
    lean: 1.3 * keyedNormal(seed, 'sft-lean', sftDataset, topic) + 0.25 * keyedNormal(seed, 'sft-lean', model, sftDataset, topic),
    hedge: datasetHedge + 0.3 * keyedNormal(seed, 'sft-hedge', sftDataset, topic) + 0.1 * keyedNormal(seed, 'sft-hedge', model, topic),
  };
}

/** The shift preference optimisation would reach with full strength (before the algorithm's gain). */
function prefPush(seed: number, prefDataset: PrefDataset, topic: string): Latent {
  switch (prefDataset) {
    case 'synth-support':
      return { lean: 2.0 + 0.3 * keyedNormal(seed, 'po', prefDataset, topic), hedge: -0.3 };
    case 'synth-oppose':
      return { lean: -2.0 + 0.3 * keyedNormal(seed, 'po', prefDataset, topic), hedge: -0.3 };
    case 'ultrafeedback':
      return { lean: 0.15 * keyedNormal(seed, 'po', prefDataset, topic), hedge: 0.1 };
    case 'hh-rlhf':
      return { lean: 0.15 * keyedNormal(seed, 'po', prefDataset, topic), hedge: 0.2 };
  }
}

/** Saturating progress 0 → 1 over [0, total] with time constant tau (as a fraction of total). */
function progress(step: number, total: number, tau: number): number {
  if (total <= 0) return 1;
  const k = 1 / (tau * total);
  return (1 - Math.exp(-step * k)) / (1 - Math.exp(-total * k));
}

function lerp(a: Latent, b: Latent, f: number): Latent {
  return { lean: a.lean + (b.lean - a.lean) * f, hedge: a.hedge + (b.hedge - a.hedge) * f };
}

// ---------------------------------------------------------------------------------------------
// Output

const MICRO = 1_000_000;

/** Rounds (support, neutral, oppose) weights to 6 decimals so the three sum to exactly 1. */
function toMicro(ws: number, wn: number, wo: number): [number, number, number] {
  const sum = ws + wn + wo;
  let a = Math.round((ws / sum) * MICRO);
  a = Math.min(MICRO, Math.max(0, a));
  let b = Math.round((wn / sum) * MICRO);
  b = Math.min(MICRO - a, Math.max(0, b));
  return [a, b, MICRO - a - b];
}

function fmtMicro(x: number): string {
  return String(x / MICRO);
}

/** Buffered synchronous file writer (flushes every ~1 MB). */
class ChunkWriter {
  private fd: number;
  private parts: string[] = [];
  private size = 0;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    fs.writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

const CSV_HEADER = 'run_id,stage,step,topic,prompt_id,generation,p_support,p_neutral,p_oppose\n';

function promptId(topic: DemoTopic, i: number): string {
  return `${DEMO_TOPIC_CODES[topic]}-${String(i).padStart(3, '0')}`;
}

function manifestFor(spec: BundleSpec, files: string[]): unknown {
  return {
    format: 'drift-trace/v1',
    dataset: {
      name: spec.datasetName,
      lab: 'driftql-demo',
      version: '1',
      description: spec.description,
      license: 'CC-BY-4.0',
      promptSet: 'v-prism-demo',
      judge: 'synthetic-judge',
    },
    runs: spec.runs.map((r) => ({
      id: r.id,
      model: r.model,
      seed: r.trainingSeed,
      stages: [
        { name: 'base', kind: 'base' },
        { name: 'sft', kind: 'sft', algorithm: 'sft', dataset: r.sftDataset, totalSteps: spec.sftTotalSteps },
        {
          name: 'po',
          kind: 'preference',
          algorithm: r.algorithm,
          dataset: r.prefDataset,
          totalSteps: spec.poTotalSteps,
          hyperparameters: { ...HYPERPARAMETERS[r.algorithm] },
        },
      ],
    })),
    files: files.map((p) => ({ path: p, format: spec.format })),
  };
}

/** Writes one run's observations; returns the number of rows. */
function writeRun(spec: BundleSpec, run: RunSpec, out: ChunkWriter): number {
  const { seed } = spec;
  const noise = rngFor(seed, 'noise', run.id);
  const sftTau = 0.07 * (1 + 0.15 * keyedNormal(seed, 'sft-tau', run.id));
  const poTau = ALGO_TAU[run.algorithm] * (1 + 0.1 * keyedNormal(seed, 'po-tau', run.id));
  const gain = ALGO_GAIN[run.algorithm] * MODEL_GAIN[run.model];

  const checkpoints: { stage: string; step: number }[] = [
    { stage: 'base', step: 0 },
    ...spec.sftSteps.map((step) => ({ stage: 'sft', step })),
    ...spec.poSteps.map((step) => ({ stage: 'po', step })),
  ];

  let rows = 0;
  for (const topic of spec.topics) {
    const base = baseLatent(seed, run.model, topic);
    const sftEnd = sftLatent(seed, run.model, run.sftDataset, topic);
    const push = prefPush(seed, run.prefDataset, topic);
    const poEnd: Latent = {
      lean: sftEnd.lean + gain * push.lean,
      hedge: sftEnd.hedge + gain * push.hedge,
    };
    // Per-prompt offsets: intrinsic to the prompt (shared by all runs) plus per run.
    const promptOffsets: Latent[] = [];
    for (let p = 0; p < spec.promptsPerTopic; p++) {
      promptOffsets.push({
        lean: 0.45 * keyedNormal(seed, 'prompt-lean', topic, p) + 0.15 * keyedNormal(seed, 'prompt-lean', run.id, topic, p),
        hedge: 0.3 * keyedNormal(seed, 'prompt-hedge', topic, p) + 0.1 * keyedNormal(seed, 'prompt-hedge', run.id, topic, p),
      });
    }

    for (const cp of checkpoints) {
      let mean: Latent;
      if (cp.stage === 'base') mean = base;
      else if (cp.stage === 'sft') mean = lerp(base, sftEnd, progress(cp.step, spec.sftTotalSteps, sftTau));
      else mean = lerp(sftEnd, poEnd, progress(cp.step, spec.poTotalSteps, poTau));
      // Checkpoint-level wobble (training noise).
      const cpLean = mean.lean + 0.06 * noise.normal();
      const cpHedge = mean.hedge + 0.04 * noise.normal();

      for (let p = 0; p < spec.promptsPerTopic; p++) {
        const off = promptOffsets[p] ?? { lean: 0, hedge: 0 };
        const pLean = cpLean + off.lean + 0.1 * noise.normal();
        const pHedge = cpHedge + off.hedge + 0.08 * noise.normal();
        const pid = promptId(topic, p);
        for (let g = 0; g < spec.generations; g++) {
          const lean = pLean + 0.55 * noise.normal();
          const hedge = pHedge + 0.35 * noise.normal();
          const [a, b, c] = toMicro(Math.exp(lean / 2), Math.exp(hedge), Math.exp(-lean / 2));
          if (spec.format === 'csv') {
            out.write(`${run.id},${cp.stage},${cp.step},${topic},${pid},${g},${fmtMicro(a)},${fmtMicro(b)},${fmtMicro(c)}\n`);
          } else {
            out.write(
              `{"run_id":${JSON.stringify(run.id)},"stage":"${cp.stage}","step":${cp.step},"topic":${JSON.stringify(topic)},` +
                `"prompt_id":"${pid}","generation":${g},"p_support":${fmtMicro(a)},"p_neutral":${fmtMicro(b)},"p_oppose":${fmtMicro(c)}}\n`,
            );
          }
          rows++;
        }
      }
    }
  }
  return rows;
}

function writeBundle(dir: string, spec: BundleSpec): BundleSummary {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const run of spec.runs) {
    const f = spec.fileFor(run);
    if (!files.includes(f)) files.push(f);
  }
  let rows = 0;
  for (const file of files) {
    const out = new ChunkWriter(path.join(dir, file));
    try {
      if (spec.format === 'csv') out.write(CSV_HEADER);
      for (const run of spec.runs) {
        if (spec.fileFor(run) === file) rows += writeRun(spec, run, out);
      }
    } finally {
      out.close();
    }
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifestFor(spec, files), null, 2) + '\n');
  return { runs: spec.runs.length, rows, files };
}

function runId(r: Omit<RunSpec, 'id'>): string {
  return `${r.model}.${r.sftDataset}.${r.algorithm}.${r.prefDataset}.s${r.trainingSeed}`;
}

function normSeed(seed: number | undefined): number {
  const s = seed ?? DEFAULT_SEED;
  if (!Number.isFinite(s)) throw new Error(`seed must be a finite number, got ${s}`);
  return Math.trunc(s) >>> 0;
}

/** The full demo grid's runs, in manifest order. */
function demoRuns(): RunSpec[] {
  const runs: RunSpec[] = [];
  for (const model of DEMO_MODELS)
    for (const sftDataset of DEMO_SFT_DATASETS)
      for (const algorithm of DEMO_ALGORITHMS)
        for (const prefDataset of DEMO_PREFERENCE_DATASETS) {
          const r = { model, sftDataset, algorithm, prefDataset, trainingSeed: 0 };
          runs.push({ ...r, id: runId(r) });
        }
  return runs;
}

/**
 * Writes a complete drift-trace/v1 bundle (manifest.json + one CSV per model) into dir (created if
 * missing; existing files of the same name are overwritten); returns {runs, rows, files}, where
 * files are the observation files relative to dir.
 */
export function writeDemoBundle(dir: string, opts: DemoOptions = {}): BundleSummary {
  return writeBundle(dir, {
    seed: normSeed(opts.seed),
    datasetName: 'value-drifts-demo',
    description:
      'Synthetic drift traces shaped like the grid of "Value Drifts: Tracing Value Alignment During LLM ' +
      'Post-Training" (arXiv 2510.26707): 2 models x 2 SFT datasets x 3 preference algorithms x 4 ' +
      'preference datasets. SFT sets values early; preference optimisation moves them little except on ' +
      'value-gap (synthetic) data, DPO most and PPO least. Not real model outputs.',
    runs: demoRuns(),
    topics: DEMO_TOPICS,
    promptsPerTopic: DEMO_PROMPTS_PER_TOPIC,
    generations: DEMO_GENERATIONS,
    sftSteps: DEMO_SFT_STEPS,
    sftTotalSteps: DEMO_SFT_TOTAL_STEPS,
    poSteps: DEMO_PO_STEPS,
    poTotalSteps: DEMO_PO_TOTAL_STEPS,
    format: 'csv',
    fileFor: (run) => `observations-${run.model}.csv`,
  });
}

/**
 * A tiny bundle for tests: `runs` runs (default 2) over 2 topics (immigration, abortion), 3 prompts,
 * 2 generations, base + 3 SFT checkpoints + 2 preference checkpoints, in one observation file
 * (`observations.csv` or `observations.jsonl`). Run i uses algorithm i mod 3 and preference dataset
 * ⌊i/3⌋ mod 4, then SFT dataset, model and training seed vary; ids stay unique for any count.
 */
export function writeSmallBundle(dir: string, opts: SmallBundleOptions = {}): BundleSummary {
  const n = opts.runs ?? 2;
  if (!Number.isInteger(n) || n < 1) throw new Error(`runs must be a positive integer, got ${n}`);
  const format = opts.format ?? 'csv';
  const runs: RunSpec[] = [];
  const A = DEMO_ALGORITHMS.length;
  const D = DEMO_PREFERENCE_DATASETS.length;
  const S = DEMO_SFT_DATASETS.length;
  const M = DEMO_MODELS.length;
  for (let i = 0; i < n; i++) {
    const r = {
      algorithm: DEMO_ALGORITHMS[i % A] as Algorithm,
      prefDataset: DEMO_PREFERENCE_DATASETS[Math.floor(i / A) % D] as PrefDataset,
      sftDataset: DEMO_SFT_DATASETS[Math.floor(i / (A * D)) % S] as SftDataset,
      model: DEMO_MODELS[Math.floor(i / (A * D * S)) % M] as Model,
      trainingSeed: Math.floor(i / (A * D * S * M)),
    };
    runs.push({ ...r, id: runId(r) });
  }
  return writeBundle(dir, {
    seed: normSeed(opts.seed),
    datasetName: 'value-drifts-small',
    description: 'Tiny synthetic drift-trace bundle for tests.',
    runs,
    topics: ['immigration', 'abortion'],
    promptsPerTopic: 3,
    generations: 2,
    sftSteps: [100, 600, 1200],
    sftTotalSteps: DEMO_SFT_TOTAL_STEPS,
    poSteps: [100, 200],
    poTotalSteps: DEMO_PO_TOTAL_STEPS,
    format,
    fileFor: () => `observations.${format}`,
  });
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: demo <dir> [seed]\n');
    process.exit(2);
  }
  const seedArg = process.argv[3];
  const t0 = Date.now();
  const summary = writeDemoBundle(dir, seedArg === undefined ? {} : { seed: Number(seedArg) });
  process.stdout.write(
    `wrote ${summary.runs} runs, ${summary.rows} rows to ${dir} (${summary.files.join(', ')}) in ${Date.now() - t0} ms\n`,
  );
}
