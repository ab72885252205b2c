/**
 * Bulk export (DESIGN §5 "Data out"): one table of the caller's visible data, as Parquet, Arrow
 * IPC stream or CSV, written by DuckDB into a temporary file (Arrow by way of Parquet, see
 * arrow.ts) and streamed from there, so memory stays bounded whatever the size. Every row carries its run's lab, dataset, version and model and its stages'
 * algorithms and datasets, so no join is needed.
 *
 * - `observations` and `prompt-means` are read by SQL straight from the stored tables;
 * - `trajectories`, `drift-metrics` and `stage-attribution` are the GraphQL answers for the same
 *   arguments (the same service calls), one row per point or stage, staged as JSON lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { lastStageOfKind } from '../analytics';
import type { Scope } from '../auth/principal';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DriftDb } from '../db/client';
import { sqlString } from '../db/sql';
import type { AnalysisService } from '../services/analysis.service';
import type { CatalogService, RunRow, StageRow } from '../services/catalog.service';
import { LIMITS } from '../services/limits';
import { yielder } from '../services/yielder';
import { toSelection } from '../graphql/analysis/analysis.resolver';
import { arrowSchemaHint, parquetToArrow } from './arrow';
import { writeArrowRows, type ColumnType, type RowValues } from './columns';
import type { ExportRequest } from './params';

export const EXPORT_FORMATS = {
  parquet: { contentType: 'application/vnd.apache.parquet', extension: 'parquet' },
  arrow: { contentType: 'application/vnd.apache.arrow.stream', extension: 'arrows' },
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** Columns every row starts with: the run and what it was trained with. */
const RUN_COLUMNS: [string, string][] = [
  ['run_id', 'VARCHAR'],
  ['run_key', 'VARCHAR'],
  ['lab', 'VARCHAR'],
  ['dataset', 'VARCHAR'],
  ['dataset_version', 'VARCHAR'],
  ['model', 'VARCHAR'],
  ['sft_dataset', 'VARCHAR'],
  ['preference_algorithm', 'VARCHAR'],
  ['preference_dataset', 'VARCHAR'],
  ['stage_algorithms', 'VARCHAR'],
  ['stage_datasets', 'VARCHAR'],
];

/** The columns of each analytic table after the run's, with their DuckDB types. */
const ANALYTIC_COLUMNS: Record<'trajectories' | 'drift-metrics' | 'stage-attribution', [string, string][]> = {
  trajectories: [
    ['topic', 'VARCHAR'],
    ['stance', 'VARCHAR'],
    ['stage', 'VARCHAR'],
    ['stage_kind', 'VARCHAR'],
    ['step', 'BIGINT'],
    ['global_step', 'BIGINT'],
    ['progress', 'DOUBLE'],
    ['value', 'DOUBLE'],
    ['ci_low', 'DOUBLE'],
    ['ci_high', 'DOUBLE'],
    ['n', 'INTEGER'],
  ],
  'drift-metrics': [
    ['topic', 'VARCHAR'],
    ['stance', 'VARCHAR'],
    ['stage', 'VARCHAR'],
    ['stage_kind', 'VARCHAR'],
    ['magnitude', 'DOUBLE'],
    ['drift_time', 'DOUBLE'],
    ['start_value', 'DOUBLE'],
    ['end_value', 'DOUBLE'],
    ['extremum_value', 'DOUBLE'],
    ['extremum_step', 'BIGINT'],
  ],
  'stage-attribution': [
    ['topic', 'VARCHAR'],
    ['stance', 'VARCHAR'],
    ['total_delta', 'DOUBLE'],
    ['stage', 'VARCHAR'],
    ['stage_kind', 'VARCHAR'],
    ['delta', 'DOUBLE'],
    ['net_share', 'DOUBLE'],
    ['path_length', 'DOUBLE'],
    ['path_share', 'DOUBLE'],
    ['distribution_shift', 'DOUBLE'],
  ],
};

/** The run columns' values for one run. */
function runValues(run: RunRow, stages: readonly StageRow[]): Record<string, string | null> {
  const pref = lastStageOfKind(stages, 'preference');
  return {
    run_id: String(run.id),
    run_key: run.key,
    lab: run.lab,
    dataset: run.datasetName,
    dataset_version: run.datasetVersion,
    model: run.model,
    sft_dataset: lastStageOfKind(stages, 'sft')?.dataset ?? null,
    preference_algorithm: pref?.algorithm ?? null,
    preference_dataset: pref?.dataset ?? null,
    stage_algorithms: stages.map((s) => s.algorithm ?? '').join(','),
    stage_datasets: stages.map((s) => s.dataset ?? '').join(','),
  };
}

const UPPER = new Map<string, string>();
/** `s` in upper case, as GraphQL writes enum values (remembered: a few kinds and stances repeat on every row). */
const upper = (s: string): string => {
  let u = UPPER.get(s);
  if (u === undefined) UPPER.set(s, (u = s.toUpperCase()));
  return u;
};

/** A number (or null) as JSON writes it: `null` for null and for what JSON cannot hold. */
const json = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? 'null' : String(x));

/**
 * Writes JSON lines to `file`, in blocks of about 1 MiB (a write per line, waiting for
 * the default 16 KiB buffer to drain, costs a thread-pool round trip every hundred lines), giving
 * other requests their turn between slices.
 */
async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const pause = yielder();
  const out = fs.createWriteStream(file, { highWaterMark: 1 << 20 });
  // Lines are gathered in an array and joined once per block: a string grown by `+=` is a deep
  // rope that costs more to flatten into a Buffer than to build.
  let block: string[] = [];
  let size = 0;
  let n = 0;
  for (const text of lines) {
    block.push(text, '\n');
    size += text.length + 1;
    if (size >= 1 << 20) {
      if (!out.write(block.join(''))) await once(out, 'drain');
      block = [];
      size = 0;
    }
    if (++n % 256 === 0) await pause();
  }
  out.end(block.join(''));
  await once(out, 'close');
}

export interface ExportDeps {
  db: DriftDb;
  analysis: AnalysisService;
  catalog: CatalogService;
}

/**
 * Writes the export into `dir` and returns the file. The caller streams it and removes `dir`.
 */
export async function writeExport(deps: ExportDeps, scope: Scope, req: ExportRequest, format: ExportFormat, dir: string): Promise<string> {
  const { table, args } = req;
  const sel = toSelection(args);
  const catalog = deps.catalog.scoped(scope);
  const { runIds, topics } = await deps.analysis.selection(
    scope,
    sel,
    table === 'trajectories' ? LIMITS.trajectoryRuns : LIMITS.analyticRuns,
  );
  const runs = await catalog.runsById(runIds);
  const stagesByRun = new Map<number, StageRow[]>();
  for (const s of await catalog.stagesOf(runIds)) {
    const list = stagesByRun.get(s.runId);
    if (list) list.push(s);
    else stagesByRun.set(s.runId, [s]);
  }
  const attributes = new Map(runs.map((r) => [String(r.id), runValues(r, stagesByRun.get(r.id) ?? [])]));

  const out = path.join(dir, `${table}.${EXPORT_FORMATS[format].extension}`);
  const typed = (cols: [string, string][]) => `{${cols.map(([c, t]) => `${sqlString(c)}: ${sqlString(t)}`).join(', ')}}`;
  /**
   * Writes the rows of `source` to `out` in the format asked for. Arrow (of the raw tables; the
   * analytic ones write theirs from memory) goes through Parquet: DuckDB writes it with the Arrow
   * schema in its metadata, and a worker converts it.
   * The size is the caller's choice: no statement time limit (the rate limit still applies).
   */
  const copy = async (source: string, setup: string[] = [], teardown: string[] = []): Promise<void> => {
    /** Runs `statement` on one connection, between `setup` and `teardown`. */
    const run = (statement: (conn: DuckDBConnection) => Promise<void>) =>
      deps.db.withReader(
        async (conn) => {
          for (const sql of setup) await conn.run(sql);
          try {
            await statement(conn);
          } finally {
            for (const sql of teardown) await conn.run(sql);
          }
        },
        { timeLimit: false },
      );
    if (format === 'arrow') {
      // Uncompressed: the file only lives until the worker has read it, and neither side then
      // spends time on zstd.
      const parquet = path.join(dir, 'arrow-source.parquet');
      await run(async (conn) => {
        const columns = (await conn.runAndReadAll(`DESCRIBE (${source})`))
          .getRowObjectsJS()
          .map((c) => ({ name: String(c.column_name), type: String(c.column_type) }));
        await conn.run(
          `COPY (${source}) TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION uncompressed, KV_METADATA {'ARROW:schema': ${sqlString(arrowSchemaHint(columns))}})`,
        );
      });
      await parquetToArrow(parquet, out);
      await fs.promises.rm(parquet, { force: true });
      return;
    }
    const options = format === 'parquet' ? '(FORMAT parquet, COMPRESSION zstd)' : '(FORMAT csv, HEADER true)';
    await run(async (conn) => {
      await conn.run(`COPY (${source}) TO ${sqlString(out)} ${options}`);
    });
  };

  // The selected runs' attributes, each with its place in the list (1-based) and its integer id.
  const runList = [...attributes.values()];
  const runsFile = path.join(dir, 'runs.jsonl');
  await writeLines(
    runsFile,
    runList.map((a, i) => JSON.stringify({ idx: i + 1, id: Number(a.run_id), ...a })),
  );
  const runsSql = `read_json(${sqlString(runsFile)}, format = 'newline_delimited', columns = ${typed([['idx', 'BIGINT'], ['id', 'BIGINT'], ...RUN_COLUMNS])})`;

  if (table === 'observations' || table === 'prompt-means') {
    // Joined on the integer id (a join on the text id costs a cast per row).
    const runCols = RUN_COLUMNS.map(([c]) => `r.${c}`).join(', ');
    const [from, cols] =
      table === 'observations'
        ? ['observations', 'x.generation, x.p_support, x.p_neutral, x.p_oppose']
        : ['prompt_means', 'x.generations, x.m_support, x.m_neutral, x.m_oppose'];
    const topicFilter = topics ? `AND t.name IN (${topics.map(sqlString).join(', ')})` : '';
    const source = `SELECT ${runCols}, t.name AS topic, p.key AS prompt, s.name AS stage, upper(s.kind) AS stage_kind, x.step, ${cols}
      FROM ${from} x
      JOIN ${runsSql} r ON r.id = x.run_id
      JOIN stages s ON s.id = x.stage_id
      JOIN topics t ON t.id = x.topic_id
      JOIN prompts p ON p.id = x.prompt_id
      WHERE true ${topicFilter}`;
    // (The inner join with the selected runs' attributes is the run selection.)
    // No ORDER BY, and so no fixed order: DuckDB joins and writes in parallel, streaming the rows
    // into the file, where a sort would hold millions of rows in memory first (3× the time and
    // about 2 GB at scale M).
    await copy(source);
    return out;
  }

  // Analytic tables: the GraphQL answer for the same arguments, one row per point or stage: its
  // run, then its values in the order of ANALYTIC_COLUMNS.
  let rows: Iterable<{ run: string; values: RowValues }>;
  if (table === 'trajectories') {
    const series = await deps.analysis.trajectories(scope, { ...sel, maxPoints: args.maxPoints });
    rows = (function* () {
      // The largest table by row count: one row object is refilled for every point (each
      // consumer below reads a row before asking for the next), so a million points make no garbage.
      const values: (string | number | null)[] = new Array<string | number | null>(11);
      const row = { run: '', values };
      for (const t of series) {
        row.run = t.runId;
        values[0] = t.topic;
        values[1] = upper(t.stance);
        for (const p of t.points) {
          values[2] = p.stage;
          values[3] = upper(p.stageKind);
          values[4] = p.step;
          values[5] = p.globalStep;
          values[6] = p.progress;
          values[7] = p.value;
          values[8] = p.ciLow;
          values[9] = p.ciHigh;
          values[10] = p.n;
          yield row;
        }
      }
    })();
  } else if (table === 'drift-metrics') {
    const metrics = await deps.analysis.driftMetrics(scope, { ...sel, endpoint: args.endpoint });
    rows = (function* () {
      for (const d of metrics) {
        yield {
          run: d.runId,
          values: [
            d.topic,
            upper(d.stance),
            d.stage,
            upper(d.stageKind),
            d.magnitude,
            d.driftTime,
            d.startValue,
            d.endValue,
            d.extremumValue,
            d.extremumStep,
          ],
        };
      }
    })();
  } else {
    const attribution = await deps.analysis.stageAttribution(scope, sel);
    rows = (function* () {
      for (const a of attribution) {
        const stance = upper(a.stance);
        for (const st of a.stages) {
          yield {
            run: a.runId,
            values: [
              a.topic,
              stance,
              a.totalDelta,
              st.stage,
              upper(st.stageKind),
              st.delta,
              st.netShare,
              st.pathLength,
              st.pathShare,
              st.distributionShift,
            ],
          };
        }
      }
    })();
  }
  const columns = ANALYTIC_COLUMNS[table];

  if (format === 'arrow') {
    // Written straight from the rows, column by column (the answer is in memory already).
    const runValuesOf = new Map(runList.map((a) => [a.run_id, RUN_COLUMNS.map(([c]) => a[c] ?? null)]));
    const all = [...RUN_COLUMNS, ...columns] as [string, ColumnType][];
    await writeArrowRows(
      out,
      all,
      (function* () {
        // One parts array, refilled for every row, as the rows themselves are.
        const parts: RowValues[] = [[], []];
        for (const r of rows) {
          parts[0] = runValuesOf.get(r.run)!;
          parts[1] = r.values;
          yield parts;
        }
      })(),
      yielder(),
    );
    return out;
  }

  // Parquet and CSV: JSON lines that name their run by its place in the run list `r`. DuckDB
  // puts the run's attributes in front from a list held in a variable (a lookup, where a join
  // would let the rows come out in any order): a single scan with a projection is copied in
  // order, so the file keeps the answer's order.
  const runIndex = new Map(runList.map((a, i) => [a.run_id, i + 1]));
  const keys = columns.map(([c]) => `,${JSON.stringify(c)}:`);
  const text = columns.map(([, type]) => type === 'VARCHAR');
  const lines = (function* () {
    for (const r of rows) {
      let line = `{"r":${runIndex.get(r.run)!}`;
      for (let c = 0; c < keys.length; c++) {
        const v = r.values[c] ?? null;
        line += keys[c]! + (text[c] && v !== null ? JSON.stringify(v) : json(v as number | null));
      }
      yield `${line}}`;
    }
  })();
  const rowsFile = path.join(dir, 'rows.jsonl');
  await writeLines(rowsFile, lines);
  const jsonColumns = typed([['r', 'BIGINT'], ...columns]);
  const runOf = (c: string) => `getvariable('export_runs')[x.r].${c} AS ${c}`;
  await copy(
    `SELECT ${RUN_COLUMNS.map(([c]) => runOf(c)).join(', ')}, x.* EXCLUDE (r)
     FROM read_json(${sqlString(rowsFile)}, format = 'newline_delimited', columns = ${jsonColumns}) x`,
    [
      `SET VARIABLE export_runs = (SELECT list({${RUN_COLUMNS.map(([c]) => `${sqlString(c)}: ${c}`).join(', ')}} ORDER BY idx) FROM ${runsSql})`,
    ],
    ['RESET VARIABLE export_runs'],
  );
  return out;
}
