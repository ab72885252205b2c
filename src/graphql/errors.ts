/**
 * Maps domain errors (src/errors.ts) to GraphQL errors, and formats what clients see of errors:
 * a typed extensions.code and a message that says what to change. Unexpected errors are logged here with their stack and reach clients only as
 * INTERNAL_SERVER_ERROR with no detail (no SQL, no stack). This function must not throw.
 */
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { asDriftError, DriftError, ErrorCode, HTTP_STATUS } from '../errors';

/** The GraphQL error for a domain error: its code in `extensions.code`, the field as `argumentName`. */
export function toGraphQLError(err: DriftError): GraphQLError {
  return new GraphQLError(err.message, {
    extensions: { code: err.code, ...(err.field ? { argumentName: err.field } : {}), ...(err.details ?? {}) },
  });
}

/** The same, for errors raised before execution (e.g. authentication), with the HTTP status to answer. */
export function toRequestError(err: DriftError): GraphQLError {
  const e = toGraphQLError(err);
  return new GraphQLError(err.message, { extensions: { ...e.extensions, http: { status: HTTP_STATUS[err.code] } } });
}

const CLIENT_CODES = new Set<string>([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.NOT_FOUND,
  ErrorCode.CONFLICT,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.TOO_MANY_REQUESTS,
  ErrorCode.QUERY_TIMEOUT,
  ErrorCode.SERVICE_UNAVAILABLE,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export interface ValidationErrorLike {
  property: string;
  value?: unknown;
  constraints?: Record<string, string>;
  children?: ValidationErrorLike[];
}

/** Each failed constraint as "path message" (or "path: message"), with the path of its argument. */
export function describeValidation(errors: ValidationErrorLike[], prefix = ''): { path: string; message: string }[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => ({
      path,
      message: m.startsWith(e.property) ? `${prefix ? `${prefix}.` : ''}${m}` : `${path}: ${m}`,
    }));
    return [...own, ...describeValidation(e.children ?? [], path)];
  });
}

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  try {
    const original = asDriftError(unwrapResolverError(error));
    if (original instanceof DriftError) {
      const mapped = toGraphQLError(original);
      return { message: mapped.message, locations: formatted.locations, path: formatted.path, extensions: mapped.extensions };
    }
    const code = String(formatted.extensions?.code ?? '');
    const validation = formatted.extensions?.validationErrors as ValidationErrorLike[] | undefined;
    if (validation) {
      const problems = describeValidation(validation);
      return {
        message: `invalid arguments: ${problems.map((p) => p.message).join('; ')}`,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: ErrorCode.BAD_USER_INPUT, ...(problems[0] ? { argumentName: problems[0].path } : {}) },
      };
    }
    if (CLIENT_CODES.has(code)) {
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    console.error('[driftql] internal error', original);
    return {
      message: 'internal error while running this query; the server log has the details',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  } catch {
    return { message: 'internal error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  }
}
