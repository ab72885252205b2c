/**
 * README Metrics, "Numerical ties": the same bundle ingested with one thread or several, and with its
 * files listed in another order, stores bit-identical prompt means and checkpoint values; and
 * those values are the definitions' (hard labels: the double nearest the exact fraction).
 */
import path from 'node:path';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ingestBundle } from '../../src/ingest/ingest';
import { clone, rng, toCsv, toJsonl, writeBundle, type ManifestJson, type ObsRow } from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';

const root = tempDir('driftql-determinism-');
const STANCES = ['support', 'neutral', 'oppose'] as const;
const KEYS = ['run_id', 'stage', 'step', 'topic', 'prompt_id', 'generation'];

/** The IEEE 754 bits of a double, so that equality is bit equality (0 and -0, every ulp). */
function bits(x: unknown): string {
  if (x === null) return 'null';
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, Number(x));
  return v.getBigUint64(0).toString(16).padStart(16, '0');
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function manifestFor(name: string, files: string[]): ManifestJson {
  return {
    format: 'drift-trace/v1',
    dataset: { name, lab: 'lab-d', version: '1' },
    runs: ['r.a', 'r.b'].map((id, i) => ({
      id,
      model: 'tiny',
      seed: i,
      stages: [
        { name: 'base', kind: 'base' },
        { name: 'sft', kind: 'sft', algorithm: 'sft', dataset: 'd', totalSteps: 100 },
        { name: 'po', kind: 'preference', algorithm: 'dpo', dataset: 'u', totalSteps: 50 },
      ],
    })),
    files: files.map((f) => ({ path: f })),
  };
}

const CHECKPOINTS: [string, number][] = [
  ['base', 0],
  ['sft', 0],
  ['sft', 50],
  ['sft', 100],
  ['po', 25],
  ['po', 50],
];

/** Rows shuffled and dealt over three files (CSV, JSONL, CSV); returns both file orders. */
function layOut(name: string, rows: ObsRow[], columns: string[], seed: number): { forward: string; reversed: string } {
  const shuffled = shuffle(rows, rng(seed));
  const parts = [0, 1, 2].map((k) => shuffled.filter((_, i) => i % 3 === k));
  const files = { 'a.csv': toCsv(parts[0]!, columns), 'b.jsonl': toJsonl(parts[1]!), 'c.csv': toCsv(parts[2]!, columns) };
  const manifest = manifestFor(name, Object.keys(files));
  const reversed = clone(manifest);
  reversed.files.reverse();
  return {
    forward: writeBundle(path.join(root, `${name}-fwd`), { manifest, files }),
    reversed: writeBundle(path.join(root, `${name}-rev`), { manifest: reversed, files }),
  };
}

interface Stored {
  promptMeans: Map<string, string[]>;
  values: Map<string, { n: number; bits: string[]; v: number[]; sd: (number | null)[] }>;
  pmValues: Map<string, number[]>;
}

let dbNo = 0;
async function ingestInto(dir: string, threads?: number): Promise<Stored> {
  const db = await DriftDb.open(path.join(root, `d${dbNo++}.duckdb`), threads ? { threads } : {});
  try {
    await migrate(db);
    const [t] = await db.query(`SELECT current_setting('threads') AS n`);
    if (threads) expect(Number(t?.n)).toBe(threads);
    await ingestBundle(db, dir);
    const pm = await db.query(
      `SELECT r.key AS run, s.name AS stage, m.step, t.name AS topic, p.key AS prompt, m.m_support, m.m_neutral, m.m_oppose
       FROM prompt_means m JOIN runs r ON r.id = m.run_id JOIN stages s ON s.id = m.stage_id JOIN topics t ON t.id = m.topic_id
       JOIN prompts p ON p.id = m.prompt_id`,
    );
    const cv = await db.query(
      `SELECT r.key AS run, s.name AS stage, c.step, t.name AS topic, c.prompts, c.v_support, c.v_neutral, c.v_oppose,
              c.sd_support, c.sd_neutral, c.sd_oppose
       FROM checkpoint_values c JOIN runs r ON r.id = c.run_id JOIN stages s ON s.id = c.stage_id JOIN topics t ON t.id = c.topic_id`,
    );
    const key = (r: Record<string, unknown>, ...extra: string[]) => JSON.stringify([r.run, r.stage, r.step, r.topic, ...extra]);
    return {
      promptMeans: new Map(pm.map((r) => [key(r, String(r.prompt)), STANCES.map((s) => bits(r[`m_${s}`]))])),
      pmValues: new Map(pm.map((r) => [key(r, String(r.prompt)), STANCES.map((s) => Number(r[`m_${s}`]))])),
      values: new Map(
        cv.map((r) => [
          key(r),
          {
            n: Number(r.prompts),
            bits: [...STANCES.map((s) => bits(r[`v_${s}`])), ...STANCES.map((s) => bits(r[`sd_${s}`]))],
            v: STANCES.map((s) => Number(r[`v_${s}`])),
            sd: STANCES.map((s) => (r[`sd_${s}`] === null ? null : Number(r[`sd_${s}`]))),
          },
        ]),
      ),
    };
  } finally {
    await db.close();
  }
}

/** Threads 1 and default, files forward and reversed: all four stores must agree bit for bit. */
async function ingestFourWays(b: { forward: string; reversed: string }): Promise<Stored> {
  const runs = [await ingestInto(b.forward, 1), await ingestInto(b.forward), await ingestInto(b.reversed), await ingestInto(b.reversed, 1)];
  const first = runs[0]!;
  expect(first.promptMeans.size).toBeGreaterThan(0);
  for (const other of runs.slice(1)) {
    expect([...other.promptMeans.entries()].sort()).toEqual([...first.promptMeans.entries()].sort());
    const bitsOf = (s: Stored) => [...s.values.entries()].map(([k, v]) => [k, v.n, ...v.bits]).sort();
    expect(bitsOf(other)).toEqual(bitsOf(first));
  }
  return first;
}

type Rational = [bigint, bigint];
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
const add = ([a, b]: Rational, [c, d]: Rational): Rational => {
  const n = a * d + c * b;
  const q = b * d;
  const g = gcd(n, q) || 1n;
  return [n / g, q / g];
};
/** The double nearest a rational whose numerator and denominator are exact doubles (one IEEE division). */
const nearest = ([n, d]: Rational): number => {
  expect(n < 2n ** 53n && d < 2n ** 53n).toBe(true);
  return Number(n) / Number(d);
};

describe('hard labels (a stance column): exact ties everywhere', () => {
  const rows: ObsRow[] = [];
  /** checkpoint key -> prompt -> counts per stance */
  const counts = new Map<string, Map<string, number[]>>();
  const rand = rng(99);
  for (const run of ['r.a', 'r.b']) {
    for (const [stage, step] of CHECKPOINTS) {
      for (const topic of ['t1', 't2', 't3']) {
        const cp = JSON.stringify([run, stage, step, topic]);
        const prompts = new Map<string, number[]>();
        counts.set(cp, prompts);
        for (let x = 0; x < 6; x++) {
          const prompt = `P${x}`;
          // one checkpoint per run and topic with prompts of unequal generation counts
          const g = stage === 'po' && step === 50 && topic === 't2' ? 3 + x : 6;
          const c = [0, 0, 0];
          for (let j = 0; j < g; j++) {
            const s = Math.floor(rand() * 3);
            c[s]!++;
            rows.push({ run_id: run, stage, step, topic, prompt_id: prompt, generation: j, stance: STANCES[s] });
          }
          prompts.set(prompt, c);
        }
      }
    }
  }
  let stored: Stored;

  beforeAll(async () => {
    stored = await ingestFourWays(layOut('hard', rows, [...KEYS, 'stance'], 5));
  }, 60_000);

  it('prompt means are the nearest doubles to count / generations', () => {
    let checked = 0;
    for (const [cp, prompts] of counts) {
      const [run, stage, step, topic] = JSON.parse(cp) as [string, string, number, string];
      for (const [prompt, c] of prompts) {
        const g = c[0]! + c[1]! + c[2]!;
        const got = stored.pmValues.get(JSON.stringify([run, stage, step, topic, prompt]));
        expect(got?.map(bits)).toEqual(c.map((k) => bits(k / g)));
        checked++;
      }
    }
    expect(checked).toBe(stored.pmValues.size);
  });

  it('values are the nearest doubles to the exact fraction (e.g. 26/36) and sds match the definition', () => {
    let equalG = 0;
    let unequalG = 0;
    for (const [cp, prompts] of counts) {
      const s = stored.values.get(cp)!;
      const means = [...prompts.values()];
      expect(s.n).toBe(means.length);
      const gs = means.map((c) => c[0]! + c[1]! + c[2]!);
      for (let k = 0; k < 3; k++) {
        // (1/n) Σ_x c_x / g_x, exactly
        const exact = means.reduce<Rational>((acc, c, i) => add(acc, [BigInt(c[k]!), BigInt(gs[i]! * means.length)]), [0n, 1n]);
        if (gs.every((g) => g === gs[0])) {
          expect(bits(s.v[k])).toBe(bits(nearest(exact)));
        } else {
          // each prompt mean is rounded before they are averaged: within a few ulps of exact
          expect(Math.abs(s.v[k]! - nearest(exact))).toBeLessThanOrEqual(4 * Number.EPSILON);
        }
        const m = means.map((c, i) => c[k]! / gs[i]!);
        const mean = Number(exact[0]) / Number(exact[1]);
        const sd = Math.sqrt(m.reduce((a, x) => a + (x - mean) ** 2, 0) / (m.length - 1));
        expect(Math.abs(s.sd[k]! - sd)).toBeLessThanOrEqual(1e-14);
      }
      if (gs.every((g) => g === gs[0])) equalG++;
      else unequalG++;
    }
    expect(equalG).toBe(34);
    expect(unequalG).toBe(2);
  });
});

describe('probabilities whose float sums depend on order', () => {
  const TRIPLES: [number, number, number][] = [
    [0.1, 0.2, 0.7],
    [0.7, 0.2, 0.1],
    [0.3, 0.6, 0.1],
    [0.15, 0.35, 0.5],
    [0.33, 0.33, 0.34],
    [0.01, 0.02, 0.97],
    [0.123457, 0.234568, 0.641975],
  ];
  const rows: ObsRow[] = [];
  const rand = rng(7);
  for (const run of ['r.a', 'r.b']) {
    for (const [stage, step] of CHECKPOINTS) {
      for (const topic of ['t1', 't2']) {
        for (let x = 0; x < 40; x++) {
          for (let j = 0; j < 12; j++) {
            const [ps, pn, po] = TRIPLES[Math.floor(rand() * TRIPLES.length)]!;
            rows.push({ run_id: run, stage, step, topic, prompt_id: `Q${x}`, generation: j, p_support: ps, p_neutral: pn, p_oppose: po });
          }
        }
      }
    }
  }
  let stored: Stored;

  beforeAll(async () => {
    stored = await ingestFourWays(layOut('probs', rows, [...KEYS, 'p_support', 'p_neutral', 'p_oppose'], 6));
  }, 60_000);

  it('the data is order-sensitive: naive sums forward and backward differ in the last bits', () => {
    const groups = new Map<string, number[]>();
    for (const r of rows) {
      const k = JSON.stringify([r.run_id, r.stage, r.step, r.topic, r.prompt_id]);
      groups.set(k, [...(groups.get(k) ?? []), Number(r.p_support)]);
    }
    const differ = [...groups.values()].filter((xs) => {
      const fwd = xs.reduce((a, x) => a + x, 0);
      const back = [...xs].reverse().reduce((a, x) => a + x, 0);
      return fwd !== back;
    });
    expect(differ.length).toBeGreaterThan(groups.size / 10);
  });

  it('prompt means, values and sds equal an independent computation to 1e-15', () => {
    const sums = new Map<string, { cp: string; s: number[]; g: number }>();
    for (const r of rows) {
      const cp = JSON.stringify([r.run_id, r.stage, r.step, r.topic]);
      const k = JSON.stringify([r.run_id, r.stage, r.step, r.topic, r.prompt_id]);
      const e = sums.get(k) ?? { cp, s: [0, 0, 0], g: 0 };
      STANCES.forEach((s, i) => (e.s[i]! += Number(r[`p_${s}`])));
      e.g++;
      sums.set(k, e);
    }
    const byCp = new Map<string, number[][]>();
    for (const [k, e] of sums) {
      const m = e.s.map((x) => x / e.g);
      const got = stored.pmValues.get(k)!;
      for (let i = 0; i < 3; i++) expect(Math.abs(got[i]! - m[i]!)).toBeLessThanOrEqual(1e-15);
      byCp.set(e.cp, [...(byCp.get(e.cp) ?? []), m]);
    }
    expect(byCp.size).toBe(stored.values.size);
    for (const [cp, means] of byCp) {
      const s = stored.values.get(cp)!;
      expect(s.n).toBe(40);
      for (let i = 0; i < 3; i++) {
        const v = means.reduce((a, m) => a + m[i]!, 0) / means.length;
        const sd = Math.sqrt(means.reduce((a, m) => a + (m[i]! - v) ** 2, 0) / (means.length - 1));
        expect(Math.abs(s.v[i]! - v)).toBeLessThanOrEqual(1e-15);
        expect(Math.abs(s.sd[i]! - sd)).toBeLessThanOrEqual(1e-15);
      }
    }
  });
});
