/**
 * A small typed client for browsers and Node: `request(Document, variables)` sends one of the
 * generated operations (./generated.ts) and returns its typed data, or throws DriftqlError
 * with the server's error code (BAD_USER_INPUT, NOT_FOUND, UNAUTHENTICATED, ...).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export class DriftqlError extends Error {
  constructor(
    /** The server's `extensions.code`, or HTTP_<status> when the answer held no GraphQL error. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DriftqlError';
  }
}

export interface ClientOptions {
  /** An API key (`dql_...`); without one, the server's anonymous access applies. */
  token?: string;
  /** A fetch implementation (the global one by default). */
  fetch?: typeof fetch;
}

export function createClient(url: string, options: ClientOptions = {}) {
  const endpoint = `${url.replace(/\/+$/, '')}/graphql`;
  const send = options.fetch ?? fetch;
  return async function request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<TData> {
    const res = await send(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await res.json().catch(() => ({}))) as { data?: TData; errors?: { message: string; extensions?: { code?: string } }[] };
    const error = body.errors?.[0];
    if (error) throw new DriftqlError(error.extensions?.code ?? `HTTP_${res.status}`, error.message);
    if (!res.ok || body.data === undefined) throw new DriftqlError(`HTTP_${res.status}`, `the server answered HTTP ${res.status}`);
    return body.data;
  };
}

export * from './generated';
