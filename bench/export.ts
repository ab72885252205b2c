/**
 * `npm run bench:export [-- --scale M] [--reps 3] [--memory-limit 512MB]`
 *
 * Scale M writes bench/EXPORT.md; other scales write bench/EXPORT-<scale>.md (scale L checks the
 * server's peak RSS against 1 GiB). `--memory-limit` is the server's DRIFT_MEMORY_LIMIT (DuckDB's
 * buffer pool, which otherwise keeps up to 80% of RAM of database pages), and DuckDB's own limit
 * on the baseline side.
 *
 * Bulk export against DuckDB's own COPY, in the same run, on the same data:
 *
 * - driftql: `GET /api/v1/export/observations?format=parquet` (and `format=arrow`, `format=csv`)
 *   of every observation from a server on the scale's database, timed by the client from the
 *   request to the last byte received (the body is counted and dropped);
 * - DuckDB: `COPY (<the same rows>) TO '<file>' (FORMAT parquet, COMPRESSION zstd)` in this
 *   process on a copy of the same database file, twice over:
 *   - the same output: the same 20 columns, the run attributes computed from the run and stage
 *     tables in the same statement (the target's comparison: the same work, done by DuckDB alone);
 *   - the observation rows with their stage, topic and prompt names only, 11 columns (the floor:
 *     what the data costs without the run attributes).
 *
 * - the Python client (clients/python, in the .venv scripts/python-env.sh makes): all the
 *   trajectories of the first 100 runs into a DataFrame, `Client(url).trajectories(run_ids=...)`,
 *   timed in Python around that one call (the first call, which computes them, and then warm
 *   calls, which the server answers from its result cache).
 *
 * Repetitions alternate; medians are compared as throughput (rows per second). Writes
 * bench/EXPORT.md and bench/export-results.json (`-- --render` only rewrites EXPORT.md).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sqlString } from '../src/db/sql';
import { ROOT } from '../src/paths';
import { BenchServer, benchTempDir, cleanupOnExit, log, machine, median, options, report, round } from './common';
import { SCALES, generateBundles, type Scale } from './generate';

const VERSION = 4;
const TARGET = 0.7;
cleanupOnExit(30 * 60_000);

const MEASURED = ['duckdbSame', 'duckdbNarrow', 'driftqlParquet', 'driftqlArrow', 'driftqlCsv'] as const;
type Measured = (typeof MEASURED)[number];

/**
 * The rows driftql's export writes, as one DuckDB statement on the stored tables: every
 * observation with its run's attributes (as src/export/export.ts defines them: the last SFT and
 * preference stages, all stages' algorithms and datasets in order) and its names.
 */
const SAME_ROWS = `
  WITH st AS (SELECT * FROM stages),
  attrs AS (
    SELECT r.id, r.id::VARCHAR AS run_id, r.key AS run_key, l.name AS lab, d.name AS dataset, d.version AS dataset_version, r.model,
           (SELECT arg_max(dataset, ordinal) FROM st WHERE st.run_id = r.id AND kind = 'sft') AS sft_dataset,
           (SELECT arg_max(algorithm, ordinal) FROM st WHERE st.run_id = r.id AND kind = 'preference') AS preference_algorithm,
           (SELECT arg_max(dataset, ordinal) FROM st WHERE st.run_id = r.id AND kind = 'preference') AS preference_dataset,
           (SELECT string_agg(coalesce(algorithm, ''), ',' ORDER BY ordinal) FROM st WHERE st.run_id = r.id) AS stage_algorithms,
           (SELECT string_agg(coalesce(dataset, ''), ',' ORDER BY ordinal) FROM st WHERE st.run_id = r.id) AS stage_datasets
    FROM runs r JOIN datasets d ON d.id = r.dataset_id JOIN labs l ON l.id = d.lab_id)
  SELECT a.run_id, a.run_key, a.lab, a.dataset, a.dataset_version, a.model, a.sft_dataset, a.preference_algorithm,
         a.preference_dataset, a.stage_algorithms, a.stage_datasets,
         t.name AS topic, p.key AS prompt, s.name AS stage, upper(s.kind) AS stage_kind, x.step, x.generation,
         x.p_support, x.p_neutral, x.p_oppose
  FROM observations x JOIN attrs a ON a.id = x.run_id JOIN stages s ON s.id = x.stage_id
       JOIN topics t ON t.id = x.topic_id JOIN prompts p ON p.id = x.prompt_id`;

/** Observations with their names only. */
const NARROW_ROWS = `
  SELECT x.run_id, t.name AS topic, p.key AS prompt, s.name AS stage, s.kind AS stage_kind, x.step, x.generation,
         x.p_support, x.p_neutral, x.p_oppose
  FROM observations x JOIN stages s ON s.id = x.stage_id JOIN topics t ON t.id = x.topic_id JOIN prompts p ON p.id = x.prompt_id`;

interface Results {
  version: number;
  scale: Scale;
  rows: number;
  machineAtStart: ReturnType<typeof machine>;
  machineAtEnd: ReturnType<typeof machine>;
  seconds: Record<Measured, number[]>;
  bytes: Record<Measured, number>;
  peakRssMiB: number;
  python: { runs: number; rows: number; firstSeconds: number; warmSeconds: number[]; uncachedSeconds: number[] };
  memoryLimit: string | null;
}

/** The report's name: `export` at scale M, `export-<scale>` otherwise. */
function reportName(argv: string[]): string {
  const scale = options(argv).scale();
  return scale === 'M' ? 'export' : `export-${scale.toLowerCase()}`;
}

const RSS_TARGET_MIB = 1024;

/**
 * Times the Python client loading every trajectory of the first 100 runs into a DataFrame: the
 * first call, then `reps` more. Prints JSON.
 */
const PYTHON_TIMING = `
import json, sys, time
import driftql
dq = driftql.Client(sys.argv[1])
ids = list(dq.runs().run_id[:100])
reps = int(sys.argv[2])
def timed(**kw):
    t0 = time.perf_counter()
    df = dq.trajectories(run_ids=ids, **kw)
    return time.perf_counter() - t0, df
first, df = timed()
warm = [timed()[0] for _ in range(reps)]
# Each confidence is a request the server has not answered yet: computed, not cached.
uncached = [timed(confidence=0.90 + i / 100)[0] for i in range(reps)]
assert {"preference_algorithm", "preference_dataset", "sft_dataset", "value"} <= set(df.columns)
print(json.dumps({"runs": len(ids), "rows": len(df), "firstSeconds": first, "warmSeconds": warm, "uncachedSeconds": uncached}))
`;

const PYTHON_TARGET = 1;

/** Downloads a URL, counting and dropping the body; seconds and bytes. */
async function download(url: string): Promise<{ seconds: number; bytes: number }> {
  const t0 = performance.now();
  // Uncompressed: the server's gzip of a large CSV would dominate the measurement.
  const res = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return { seconds: (performance.now() - t0) / 1000, bytes };
}

const f1 = (x: number) => x.toFixed(1);
const mrows = (rows: number, s: number) => `${(rows / s / 1e6).toFixed(2)} M rows/s`;

/** "what: median s over n calls (met)". */
function pyLine(what: string, seconds: number, n: number): string {
  return `${what}: median ${seconds.toFixed(2)} s over ${n} calls (${seconds < PYTHON_TARGET ? 'met' : '**not met**'})`;
}

function render(r: Results): string {
  const m = r.machineAtStart;
  const med = Object.fromEntries(MEASURED.map((k) => [k, median(r.seconds[k])])) as Record<Measured, number>;
  const ratio = med.duckdbSame / med.driftqlParquet;
  const row = (what: string, k: Measured) =>
    `| ${what} | ${f1(med[k])} s | ${mrows(r.rows, med[k])} | ${f1(r.bytes[k] / 2 ** 20)} MiB | ${(med.duckdbSame / med[k]).toFixed(2)}× |`;
  return [
    '# Bulk export against DuckDB COPY',
    '',
    `Generated by \`npm run bench:export\` (bench/export.ts) on ${m.date.slice(0, 16).replace('T', ' ')} UTC; raw numbers in \`bench/export-results.json\`. One machine: ${m.cpus} × ${m.cpuModel.split(' ').slice(0, 2).join(' ')}, ${m.memGiB} GiB, Node ${m.node}; load average at start ${m.loadAverage.join(', ')}, at end ${r.machineAtEnd.loadAverage.join(', ')}.`,
    '',
    `Every observation of scale ${r.scale} (${r.rows.toLocaleString('en-US')} rows), ${r.seconds.driftqlParquet.length === 1 ? 'one repetition' : `${r.seconds.driftqlParquet.length} alternating repetitions, medians`}.`,
    '',
    `- driftql: \`GET /api/v1/export/observations?format=…\` from a server (\`NODE_ENV=production\`, ${r.memoryLimit ? `\`DRIFT_MEMORY_LIMIT=${r.memoryLimit}\` (DuckDB's own limit on the baseline side too), ` : ''}defaults otherwise) over 127.0.0.1, uncompressed (\`Accept-Encoding: identity\`), from the request to the last byte received. Each row has 20 columns (11 of them the run's attributes). Arrow is DuckDB's Parquet converted to an Arrow IPC stream in a worker thread, with dictionary-encoded strings.`,
    '- DuckDB, same output: `COPY (…) TO … (FORMAT parquet, COMPRESSION zstd)` in the benchmark process on a copy of the same database file, of the same 20 columns, the run attributes computed from the run and stage tables in the same statement.',
    '- DuckDB, names only: the same, of the observations joined with their stage, topic and prompt names, 10 columns (no run attributes): what the rows cost without the attributes.',
    '',
    '| what | time | throughput | file | throughput ÷ DuckDB same output |',
    '|---|---|---|---|---|',
    row('DuckDB COPY to Parquet, same output', 'duckdbSame'),
    row('DuckDB COPY to Parquet, names only', 'duckdbNarrow'),
    row('driftql export, Parquet', 'driftqlParquet'),
    row('driftql export, Arrow IPC stream', 'driftqlArrow'),
    row('driftql export, CSV', 'driftqlCsv'),
    '',
    `**Python client**: \`Client(url).trajectories(run_ids=<the first ${r.python.runs} runs>)\`, every trajectory of ${r.python.runs} runs at full resolution (${r.python.rows.toLocaleString('en-US')} rows, each with its run's attributes) into a pandas DataFrame, timed in Python around the call, after the exports above. Target under ${PYTHON_TARGET} s. ${pyLine("Answered from the server's result cache", median(r.python.warmSeconds), r.python.warmSeconds.length)}; ${pyLine('computed (a confidence the server has not been asked for yet)', median(r.python.uncachedSeconds), r.python.uncachedSeconds.length)}; the very first call, which also compiles the analytics code in the server's JIT: ${r.python.firstSeconds.toFixed(2)} s (${r.python.firstSeconds < PYTHON_TARGET ? 'met' : '**not met**'}).`,
    '',
    `**Target**: Parquet export throughput at least ${TARGET}× DuckDB's COPY of the same rows: measured ${ratio.toFixed(2)}× (${ratio >= TARGET ? 'met' : '**not met**'}); against the names-only COPY, which writes half the columns, ${(med.duckdbNarrow / med.driftqlParquet).toFixed(2)}×. Server peak RSS over the run: ${f1(r.peakRssMiB)} MiB${r.scale === 'L' ? ` (target at scale L: under ${RSS_TARGET_MIB} MiB, ${r.peakRssMiB < RSS_TARGET_MIB ? 'met' : '**not met**'})` : ''}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const name = reportName(process.argv.slice(2));
  if (report.rerender<Results>(name, VERSION, render)) return;
  const { num, get, scale: scaleOf } = options(process.argv.slice(2));
  const memoryLimit = get('memory-limit', '') || null;
  const scale = scaleOf();
  const reps = num('reps', 3, 1, 10);
  const machineAtStart = machine();
  log(`export benchmark, scale ${scale}; load average ${machineAtStart.loadAverage.join(', ')}`);
  const shared = path.join(ROOT, 'bench', 'out', scale, 'bundles', 'parquet');
  const bundle = fs.existsSync(path.join(shared, 'manifest.json'))
    ? shared
    : (await generateBundles(path.join(ROOT, 'bench', 'out', 'export', scale, 'bundles'), SCALES[scale], log)).parquet;

  const dir = benchTempDir('driftql-export-bench-');
  const dbFile = path.join(dir, 'served.duckdb');
  // `npm run bench` keeps the database it ingested from the same bundle; at scale L that saves
  // the longest step. Ingests are deterministic, so it is the same database.
  const ingested = path.join(ROOT, 'bench', 'out', scale, 'driftql-parquet.duckdb');
  if (bundle === shared && fs.existsSync(ingested)) {
    log(`  copying ${path.relative(ROOT, ingested)}`);
    fs.copyFileSync(ingested, dbFile);
  } else {
    log(`  ingesting ${path.relative(ROOT, bundle)}`);
    const ingest = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'src', 'cli.js'), 'ingest', bundle, '--db', dbFile], {
      stdio: 'ignore',
    });
    if (ingest.status !== 0) throw new Error('ingest failed');
  }
  const copyFile = path.join(dir, 'copy.duckdb');
  fs.copyFileSync(dbFile, copyFile);

  const instance = await DuckDBInstance.create(copyFile, memoryLimit ? { memory_limit: memoryLimit } : {});
  const conn = await instance.connect();
  const rows = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM observations')).getRowObjectsJS()[0]!.n);
  const server = await BenchServer.start(dbFile, memoryLimit ? { DRIFT_MEMORY_LIMIT: memoryLimit } : {});
  const seconds = Object.fromEntries(MEASURED.map((k) => [k, [] as number[]])) as Results['seconds'];
  const bytes = Object.fromEntries(MEASURED.map((k) => [k, 0])) as Results['bytes'];
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const [k, rowsSql] of [
        ['duckdbSame', SAME_ROWS],
        ['duckdbNarrow', NARROW_ROWS],
      ] as const) {
        const out = path.join(dir, `duck-${rep}.parquet`);
        const t0 = performance.now();
        await conn.run(`COPY (${rowsSql}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`);
        seconds[k].push((performance.now() - t0) / 1000);
        bytes[k] = fs.statSync(out).size;
        fs.rmSync(out);
      }
      for (const [k, format] of [
        ['driftqlParquet', 'parquet'],
        ['driftqlArrow', 'arrow'],
        ['driftqlCsv', 'csv'],
      ] as const) {
        const got = await download(`${server.url}/api/v1/export/observations?format=${format}`);
        seconds[k].push(got.seconds);
        bytes[k] = got.bytes;
      }
      log(`  rep ${rep + 1}: ${MEASURED.map((k) => `${k} ${f1(seconds[k].at(-1)!)} s`).join(', ')}`);
    }
    log('  Python client: trajectories of 100 runs');
    const venv = spawnSync('bash', [path.join(ROOT, 'scripts', 'python-env.sh')], { cwd: ROOT, stdio: 'inherit' });
    if (venv.status !== 0) throw new Error('scripts/python-env.sh failed');
    const py = spawnSync(path.join(ROOT, '.venv', 'bin', 'python'), ['-c', PYTHON_TIMING, server.url, String(Math.max(5, reps))], {
      encoding: 'utf8',
    });
    if (py.status !== 0) throw new Error(`the Python client timing failed:\n${py.stderr}`);
    const python = JSON.parse(py.stdout) as Results['python'];
    log(`  Python client: first ${f1(python.firstSeconds)} s, warm median ${median(python.warmSeconds).toFixed(2)} s, ${python.rows} rows`);
    const results: Results = {
      version: VERSION,
      scale,
      rows,
      machineAtStart,
      machineAtEnd: machine(),
      seconds: Object.fromEntries(MEASURED.map((k) => [k, seconds[k].map((x) => round(x, 2))])) as Results['seconds'],
      bytes,
      peakRssMiB: round(server.peakRssMib()),
      memoryLimit,
      python: {
        ...python,
        firstSeconds: round(python.firstSeconds, 3),
        warmSeconds: python.warmSeconds.map((x) => round(x, 3)),
        uncachedSeconds: python.uncachedSeconds.map((x) => round(x, 3)),
      },
    };
    await report.write(name, results, render);
  } finally {
    conn.closeSync();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
