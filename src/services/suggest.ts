/**
 * Errors for names the caller's data does not have (a topic, a lab, an algorithm, ...): which
 * ones, the nearest known name for each when one is close ("DPO" → "dpo", "ultrafedback" →
 * "ultrafeedback"), and the known names. The known names are always those of the caller's
 * scope, so the message tells nothing about data the caller may not see.
 */
import { distance } from 'fastest-levenshtein';
import { UserInputError } from '../errors';

/** Known names listed in a message at most. */
const LISTED = 30;

/** The known name nearest to `value`: equal but for case, or within a third of its length in edits. */
export function nearest(value: string, known: readonly string[]): string | undefined {
  const lower = value.toLowerCase();
  const sameButCase = known.find((k) => k.toLowerCase() === lower);
  if (sameButCase) return sameButCase;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(value.length / 3)) + 1;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/**
 * Throws BAD_USER_INPUT when some of `values` are not in `known`, e.g.
 * `unknown algorithm "DPO" (did you mean "dpo"?); known algorithms: dpo, ppo, simpo`.
 */
export function assertKnown(
  what: { one: string; many: string },
  values: readonly string[] | undefined,
  known: Iterable<string>,
  argumentName: string,
): void {
  if (!values?.length) return;
  const set = known instanceof Set ? (known as Set<string>) : new Set(known);
  const unknown = [...new Set(values.filter((v) => !set.has(v)))];
  if (!unknown.length) return;
  const list = [...set].sort();
  const named = unknown.map((v) => {
    const near = nearest(v, list);
    return `"${v}"${near ? ` (did you mean "${near}"?)` : ''}`;
  });
  const known_ = list.length
    ? `known ${what.many}: ${list.slice(0, LISTED).join(', ')}${list.length > LISTED ? `, ... (${list.length} in all)` : ''}`
    : `there are no ${what.many} in the data you can see`;
  throw new UserInputError(`unknown ${unknown.length > 1 ? what.many : what.one} ${named.join(', ')}; ${known_}`, argumentName);
}
