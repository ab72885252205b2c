/**
 * The row rules of README, Bundle format, once. Both passes of ingest read the files through the same typed
 * relation (typed.ts) and evaluate these predicates over it: the fast scan ORs them to count bad
 * rows, the diagnosis runs each one to list the rows it refuses with file, line and field.
 *
 * Columns of the typed relation:
 * - run_key, stage_name, topic, prompt_id: text (for a JSON value of the wrong kind, its JSON text);
 * - step_num, gen_num: the value as DOUBLE when it is written as an integer, else NULL;
 * - ps, pn, po: probabilities as DOUBLE (one-hot from the stance in hard-label files);
 * - <column>_wrong: true when the value is present but of a kind the column cannot take (a JSON
 *   object for a topic, `1e-400` or `true` for a step, `true` for a probability);
 * - is_prob: the file has probability columns (else a stance column); stance, stance_canonical;
 * - run_known, stage_known: the run, and the (run, stage) pair, are in the manifest.
 * The diagnosis adds <column>_raw (the value as written, for messages) and row_no.
 */

export const PROB_SUM_TOLERANCE = 1e-3;
export const MAX_INT = 2147483647;

export interface Rule {
  /** The canonical column(s) at fault, as reported. */
  field: string;
  /** SQL predicate over the typed relation, true for a row breaking the rule. */
  bad: string;
  /** SQL expression giving the message for a bad row (diagnosis only: it may read <column>_raw). */
  message: string;
  /**
   * The predicate reads only topic and prompt_id, so the fast scan evaluates it once per distinct
   * (topic, prompt_id) instead of once per row.
   */
  perPrompt?: boolean;
}

/** A raw value for messages, quoted unless it is a JSON string (which brings its own quotes). */
const q = (col: string) => `CASE WHEN starts_with(${col}, '"') THEN ${col} ELSE '"' || coalesce(${col}, '') || '"' END`;
const NUL = 'chr(0)';

/** Text columns: canonical name -> column of the typed relation. */
export const TEXT_COLUMNS = { run_id: 'run_key', stage: 'stage_name', topic: 'topic', prompt_id: 'prompt_id' } as const;
/** Integer columns: canonical name -> value column. */
export const INT_COLUMNS = { step: 'step_num', generation: 'gen_num' } as const;
/** Probability columns: canonical name -> value column. */
export const PROB_VALUES = { p_support: 'ps', p_neutral: 'pn', p_oppose: 'po' } as const;

function textRules(field: keyof typeof TEXT_COLUMNS): Rule[] {
  const c = TEXT_COLUMNS[field];
  const perPrompt = field === 'topic' || field === 'prompt_id';
  // A row matched to a manifest stage carries the manifest's run and stage names, which the
  // manifest checks passed; the guard spares the string functions on every valid row.
  const guard = perPrompt ? '' : 'NOT stage_known AND ';
  return [
    {
      field,
      bad: `${guard}${field}_wrong`,
      message: `'must be text (a JSON string), got ' || coalesce(${field}_raw, '')`,
    },
    // a value of the wrong kind keeps its JSON text, so it is never empty as well
    { field, bad: `${guard}(${c} IS NULL OR trim(${c}) = '')`, message: `'is empty'`, perPrompt },
    {
      field,
      bad: `${guard}contains(${c}, ${NUL})`,
      message: `'contains a NUL character (\\0); names must be plain text'`,
      perPrompt,
    },
  ];
}

function integerRules(field: keyof typeof INT_COLUMNS): Rule[] {
  const n = INT_COLUMNS[field];
  const raw = `${field}_raw`;
  return [
    {
      field,
      bad: `${field}_wrong`,
      message: `CASE WHEN json_valid(${raw}) AND json_type(CAST(${raw} AS JSON)) = 'DOUBLE' AND NOT regexp_full_match(trim(${raw}), '[0-9]+')
          THEN 'must be a non-negative integer, got ' || ${q(raw)} || ', a number with a fraction or an exponent; write it in digits, e.g. 12'
        WHEN TRY_CAST(${raw} AS DOUBLE) IS NULL THEN ${q(raw)} || ' is not a number'
        ELSE 'must be a non-negative integer, got ' || ${q(raw)} || '; write it in digits, e.g. 12' END`,
    },
    { field, bad: `${n} IS NULL AND NOT ${field}_wrong`, message: `'is empty'` },
    {
      field,
      bad: `(${n} < 0 OR ${n} > ${MAX_INT} OR ${n} <> floor(${n}) OR isnan(${n}) OR isinf(${n})) AND ${n} IS NOT NULL`,
      message: `'must be a non-negative integer, got ' || ${q(raw)} || ' (at most ${MAX_INT})'`,
    },
  ];
}

function probabilityRules(field: keyof typeof PROB_VALUES): Rule[] {
  const v = PROB_VALUES[field];
  const raw = `${field}_raw`;
  return [
    { field, bad: `${field}_wrong AND is_prob`, message: `${q(raw)} || ' is not a number; give a probability in [0, 1]'` },
    { field, bad: `${v} IS NULL AND NOT ${field}_wrong AND is_prob`, message: `'is empty; give a probability in [0, 1]'` },
    { field, bad: `isnan(${v}) AND is_prob`, message: `'is NaN; give a probability in [0, 1]'` },
    { field, bad: `(${v} < 0 OR ${v} > 1) AND NOT isnan(${v}) AND is_prob`, message: `${q(raw)} || ' is outside [0, 1]'` },
  ];
}

/**
 * Every row rule, in the order the diagnosis reports them. Predicates put their rarely true
 * condition first: the fast scan evaluates them under CASE WHEN, where AND skips the remaining
 * conditions for rows the first one clears. `runList` names the manifest's runs
 * and `stagesOf` is a SQL expression listing the stages of the row's run (messages only).
 */
export function rowRules(runList = "''", stagesOf = "''"): Rule[] {
  const runOk = `NOT stage_known AND NOT run_id_wrong AND trim(run_key) <> '' AND NOT contains(run_key, ${NUL})`;
  return [
    ...textRules('run_id'),
    ...textRules('stage'),
    ...integerRules('step'),
    ...textRules('topic'),
    ...textRules('prompt_id'),
    ...integerRules('generation'),
    {
      field: 'run_id',
      bad: `${runOk} AND NOT run_known`,
      message: `'unknown run ' || ${q('run_key')} || '; the manifest lists ' || ${runList}`,
    },
    {
      field: 'stage',
      bad: `${runOk} AND run_known AND NOT stage_wrong AND trim(stage_name) <> '' AND NOT contains(stage_name, ${NUL}) AND NOT stage_known`,
      message: `'run ' || ${q('run_key')} || ' has no stage ' || ${q('stage_name')} || '; its stages are ' || ${stagesOf}`,
    },
    ...probabilityRules('p_support'),
    ...probabilityRules('p_neutral'),
    ...probabilityRules('p_oppose'),
    {
      field: 'p_support, p_neutral, p_oppose',
      bad: `abs(ps + pn + po - 1) > ${PROB_SUM_TOLERANCE} AND ps BETWEEN 0 AND 1 AND pn BETWEEN 0 AND 1 AND po BETWEEN 0 AND 1 AND is_prob`,
      message: `'sum to ' || CAST(round(ps + pn + po, 6) AS VARCHAR) || '; they must sum to 1 within ${PROB_SUM_TOLERANCE}'`,
    },
    {
      field: 'stance',
      bad: `NOT is_prob AND stance_wrong`,
      message: `'must be text (a JSON string), got ' || coalesce(stance_raw, '')`,
    },
    {
      field: 'stance',
      bad: `NOT is_prob AND NOT stance_wrong AND (stance IS NULL OR trim(stance) = '')`,
      message: `'is empty; give support, neutral or oppose (or a label mapped in the manifest''s "stanceLabels")'`,
    },
    {
      field: 'stance',
      bad: `NOT is_prob AND NOT stance_wrong AND stance IS NOT NULL AND trim(stance) <> '' AND stance_canonical IS NULL`,
      message: `'unknown stance label ' || ${q('stance')} || '; use support, neutral or oppose, or map the label in the manifest''s "stanceLabels"'`,
    },
  ];
}

/**
 * One predicate true for a row breaking any of `rules`. Each rule is true (never NULL) for a row
 * it refuses, so NULL from the others cannot hide it.
 */
export function anyBroken(rules: Rule[]): string {
  return rules.map((r) => `(${r.bad})`).join(' OR ') || 'false';
}
