import { GraphQLError } from 'graphql';

/** Error codes clients can switch on; the only values `extensions.code` takes for expected failures. */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/**
 * An error caused by what the caller asked for. Its message is shown to clients verbatim, so it
 * must say what to change, and never contain SQL or internals.
 */
export class UserInputError extends GraphQLError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...extra } });
    this.name = 'UserInputError';
  }
}

/** A referenced entity (run, dataset, ...) does not exist. */
export class NotFoundError extends GraphQLError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code: ErrorCode.NOT_FOUND, ...extra } });
    this.name = 'NotFoundError';
  }
}
