/** REST errors: domain errors as `{"error": {code, message, problems?}}` with their HTTP status. */
import type { Response } from 'express';
import { asDriftError, DriftError, ErrorCode, HTTP_STATUS, UserInputError } from '../errors';
import { BundleError } from '../ingest/errors';

/** An upload larger than the server takes (HTTP 413). */
export class PayloadTooLargeError extends UserInputError {
  readonly status = 413;
  readonly wireCode = 'PAYLOAD_TOO_LARGE';
}

/** Sends a domain error as `{"error": {...}}`; anything else as a logged 500. */
export function sendError(res: Response, thrown: unknown): void {
  const err = asDriftError(thrown);
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof DriftError) {
    const status = err instanceof PayloadTooLargeError ? err.status : HTTP_STATUS[err.code];
    const code = err instanceof PayloadTooLargeError ? err.wireCode : err.code;
    const body: Record<string, unknown> = { code, message: err.message };
    if (err instanceof BundleError) body.problems = err.problems;
    res.status(status).json({ error: body });
    return;
  }
  console.error('[driftql] internal error', err);
  res.status(500).json({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'internal error; the server log has the details' } });
}
