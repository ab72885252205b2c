import { ConflictError, UserInputError } from '../errors';

/** One thing wrong with a bundle, located as precisely as we can: file, line or row, field. */
export interface Problem {
  file: string;
  /** 1-based line for CSV/JSONL (CSV counts the header as line 1), 1-based row for Parquet. */
  line?: number;
  lineKind?: 'line' | 'row';
  field?: string;
  message: string;
}

export const MAX_PROBLEMS = 20;

export function formatProblem(p: Problem): string {
  const where = [p.file];
  if (p.line !== undefined) where.push(`${p.lineKind ?? 'line'} ${p.line}`);
  if (p.field) where.push(`field ${p.field}`);
  return `${where.join(', ')}: ${p.message}`;
}

/** A bundle refused whole. Nothing was written. */
export class BundleError extends UserInputError {
  constructor(
    readonly problems: Problem[],
    readonly totalProblems = problems.length,
  ) {
    const shown = problems.slice(0, MAX_PROBLEMS).map((p) => `  - ${formatProblem(p)}`);
    const more = totalProblems > shown.length ? [`  ... and ${totalProblems - shown.length} more`] : [];
    super(
      `bundle refused (${totalProblems} problem${totalProblems === 1 ? '' : 's'}); nothing was written:\n${[...shown, ...more].join('\n')}`,
      undefined,
      { problems, totalProblems },
    );
  }
}

export { ConflictError };
