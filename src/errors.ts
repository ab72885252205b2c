/**
 * Domain errors: what went wrong, in terms of the request, with no knowledge of the transport.
 * Analytics, services, ingest and the CLI throw these; `graphql/errors.ts` maps them to GraphQL
 * errors (`extensions.code`) and a REST layer maps them to HTTP statuses with `HTTP_STATUS`.
 * Their messages are shown to clients verbatim, so they must say what to change and never hold
 * SQL, stack traces or anything about data the caller may not see.
 */

/** Error codes clients can switch on; the only values `extensions.code` takes for expected failures. */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  /** The caller sent more requests than the rate limit allows; retry after the time given. */
  TOO_MANY_REQUESTS = 'TOO_MANY_REQUESTS',
  /** A database statement ran past DRIFT_QUERY_TIMEOUT_MS and was stopped. */
  QUERY_TIMEOUT = 'QUERY_TIMEOUT',
  /** Cluster mode: the shared catalogue (PostgreSQL) cannot be reached just now; retry shortly. */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** The HTTP status a REST endpoint answers for each code. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.TOO_MANY_REQUESTS]: 429,
  [ErrorCode.QUERY_TIMEOUT]: 503,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.INTERNAL_SERVER_ERROR]: 500,
};

/** Base of every expected failure. `field` names the argument or input field at fault, if one is. */
export class DriftError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** Extra structured detail safe to show the caller (e.g. ingest problems). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An error caused by what the caller asked for; the message says what to change. */
export class UserInputError extends DriftError {
  constructor(message: string, field?: string, details?: Record<string, unknown>) {
    super(ErrorCode.BAD_USER_INPUT, message, field, details);
  }
}

/** A referenced entity (run, dataset, ...) does not exist (or is not visible to the caller). */
export class NotFoundError extends DriftError {
  constructor(message: string, field?: string) {
    super(ErrorCode.NOT_FOUND, message, field);
  }
}

/** The request clashes with the current state, e.g. the same dataset identity with other content. */
export class ConflictError extends DriftError {
  constructor(message: string, field?: string) {
    super(ErrorCode.CONFLICT, message, field);
  }
}

/** The request carries no usable credentials (a malformed, unknown or revoked key). */
export class UnauthenticatedError extends DriftError {
  constructor(message: string) {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

/** The caller is known but their role does not allow the action. */
export class ForbiddenError extends DriftError {
  constructor(message: string) {
    super(ErrorCode.FORBIDDEN, message);
  }
}

/** A request over the rate limit; the message says when to retry. */
export class TooManyRequestsError extends DriftError {
  constructor(message: string) {
    super(ErrorCode.TOO_MANY_REQUESTS, message);
  }
}

/** A read statement ran longer than the configured limit and was interrupted. */
export class QueryTimeoutError extends DriftError {
  constructor(readonly limitMs: number) {
    super(
      ErrorCode.QUERY_TIMEOUT,
      `this query took longer than ${limitMs} ms and was stopped; narrow the selection (fewer runs or topics, a run filter, fewer grid points) or ask the server operator to raise DRIFT_QUERY_TIMEOUT_MS`,
    );
  }
}

/** Cluster mode: the catalogue database is unreachable (down, restarting, or refusing connections). */
export class ServiceUnavailableError extends DriftError {
  constructor(message = 'the shared catalogue database cannot be reached just now; retry in a few seconds') {
    super(ErrorCode.SERVICE_UNAVAILABLE, message);
  }
}

/** PostgreSQL error classes 08 (connection exception) and 57P (operator intervention: shutdown, restart). */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-4])$/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH']);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection|connect ENOENT \S*\.s\.PGSQL\./i;

/**
 * True for an error that says the catalogue database could not be reached, as opposed to a
 * query it refused. Looks through wrappers (an ORM's error keeps the driver's as `cause`).
 */
export function isUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (e instanceof ServiceUnavailableError) return true;
    const code = typeof e.code === 'string' ? e.code : '';
    if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** The domain error an unexpected error stands for, when there is one: an unreachable catalogue. */
export function asDriftError(err: unknown): unknown {
  if (err instanceof DriftError) return err;
  return isUnavailable(err) ? new ServiceUnavailableError() : err;
}
