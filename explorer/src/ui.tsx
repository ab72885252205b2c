/** Small pieces the views share: labelled selects, the data actions, number formats. */
import type { ComponentChildren } from 'preact';
import { downloadCsv } from './download';
import type { RunRow } from './runs';
import type { State } from './state';

export interface ViewProps {
  state: State;
  /** Sets the state with these fields changed (a new view is a new history entry). */
  update: (patch: Partial<State>) => void;
  /** Every run the caller may see, by id. */
  runsById: Map<string, RunRow>;
  /**
   * The runs the view analyses: the selection, or the runs the table shows when none is selected;
   * null when neither a selection nor a filter narrows them (every run the caller may see).
   */
  runIds: string[] | null;
  topics: string[];
  /** A run's name on charts: its manifest key, with lab, dataset and version where keys repeat. */
  runLabel: (id: string, key: string) => string;
}

export function runLabeller(runsById: Map<string, RunRow>): ViewProps['runLabel'] {
  const count = new Map<string, number>();
  for (const r of runsById.values()) count.set(r.key, (count.get(r.key) ?? 0) + 1);
  return (id, key) => {
    const r = runsById.get(id);
    return r && (count.get(key) ?? 0) > 1 ? `${key} (${r.lab}/${r.dataset} v${r.version})` : key;
  };
}

export function Select<T extends string | number>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: readonly (T | { value: T; label: string })[];
  onChange: (v: T) => void;
}) {
  const items = options.map((o) => (typeof o === 'object' ? o : { value: o, label: String(o) }));
  // A value from a link that is not among the choices is still shown as what is in effect.
  if (!items.some((o) => o.value === value)) items.push({ value, label: String(value) });
  return (
    <label>
      {label}{' '}
      <select
        aria-label={label}
        value={String(value)}
        onChange={(e) => onChange(items.find((o) => String(o.value) === e.currentTarget.value)!.value)}
      >
        {items.map((o) => (
          <option key={String(o.value)} value={String(o.value)}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Checks<T extends string>({
  label,
  values,
  options,
  onChange,
}: {
  label: string;
  values: T[];
  options: readonly T[];
  onChange: (v: T[]) => void;
}) {
  return (
    <fieldset class="checks">
      <legend>{label}</legend>
      {options.map((o) => (
        <label key={o}>
          <input
            type="checkbox"
            aria-label={`${label} ${o}`}
            checked={values.includes(o)}
            onChange={(e) => onChange(e.currentTarget.checked ? [...values, o] : values.filter((v) => v !== o))}
          />
          {o}
        </label>
      ))}
    </fieldset>
  );
}

export function Controls({ children }: { children: ComponentChildren }) {
  return <div class="controls">{children}</div>;
}

/** "download CSV" of the view's data and "open this query in GraphiQL". */
export function DataActions({ rows, columns, name, graphiql }: { rows: object[]; columns: string[]; name: string; graphiql: string }) {
  return (
    <p class="data-actions">
      <button onClick={() => downloadCsv(rows, columns, name)}>download CSV</button>{' '}
      <a href={graphiql} target="_blank" rel="noopener">
        open this query in GraphiQL
      </a>
    </p>
  );
}

/** Run ids one question may name (the API's limit). */
export const MAX_RUNS = 1000;
export const askable = (runIds: string[] | null): boolean => runIds === null || (runIds.length > 0 && runIds.length <= MAX_RUNS);

export function Status({
  runIds,
  loading,
  error,
  empty,
}: {
  runIds: string[] | null;
  loading: boolean;
  error?: string;
  empty?: string | false;
}) {
  if (runIds && !runIds.length) return <p class="empty">No runs: select some in the Runs view.</p>;
  if (runIds && runIds.length > MAX_RUNS)
    return (
      <p class="error">
        This view would ask about {runIds.length} runs; one question names at most {MAX_RUNS}, so select fewer runs or narrow the filters in
        the Runs view.
      </p>
    );
  if (error) return <p class="error">{error}</p>;
  if (loading) return <p class="loading">loading…</p>;
  if (empty) return <p class="empty">{empty}</p>;
  return null;
}

/** Numbers in tables: 4 significant digits (CSV and tooltips carry the exact values). */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '–';
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-4 && Math.abs(v) < 1e6 ? String(Number(v.toPrecision(digits))) : v.toExponential(digits - 1);
}

/** Tooltip numbers: the API's value exactly as it came. */
export const exact = (v: unknown): string => (v === null || v === undefined ? '–' : String(v));

export function pFmt(p: number | null | undefined): string {
  if (p === null || p === undefined) return '–';
  return p < 1e-4 ? p.toExponential(2) : p.toFixed(4);
}

export const topicOptions = (topics: string[]) => [
  { value: '', label: 'all topics (small multiples)' },
  ...topics.map((t) => ({ value: t, label: t })),
];
export const stanceOptions = [
  { value: '' as const, label: 'all stances' },
  ...(['SUPPORT', 'NEUTRAL', 'OPPOSE'] as const).map((s) => ({ value: s, label: s })),
];
