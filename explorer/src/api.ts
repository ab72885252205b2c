/**
 * Queries through the typed client (clients/typescript), with the key from session storage.
 * `useQuery` answers from a per-tab memory cache when the same operation and variables were
 * asked with the same key, so switching views does not ask again.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { useEffect, useState } from 'preact/hooks';
import { createClient } from '../../clients/typescript/src/client';
import { apiKey } from './state';

export function request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables): Promise<TData> {
  return createClient(location.origin, { token: apiKey.get() })(document, variables);
}

export interface Answer<T> {
  data?: T;
  error?: string;
  loading: boolean;
  /** performance.now() when the answer arrived (for the drawing-time measurement). */
  answeredAt?: number;
}

const cache = new Map<string, Promise<{ data: unknown; at: number }>>();

export function useQuery<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables | null): Answer<TData> {
  const key = variables === null ? '' : `${apiKey.get() ?? ''}\n${print(document)}\n${JSON.stringify(variables)}`;
  const [answer, setAnswer] = useState<Answer<TData> & { key?: string }>({ loading: variables !== null });
  useEffect(() => {
    if (variables === null) {
      setAnswer({ loading: false, key });
      return;
    }
    let live = true;
    setAnswer((a) => ({ ...a, loading: true, error: undefined }));
    let pending = cache.get(key);
    if (!pending) {
      pending = request(document, variables).then((data) => ({ data, at: performance.now() }));
      cache.set(key, pending);
      pending.catch(() => cache.delete(key));
    }
    pending.then(
      ({ data }) => live && setAnswer({ data: data as TData, loading: false, answeredAt: performance.now(), key }),
      (e: Error) => live && setAnswer({ error: e.message, loading: false, key }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  // An answer to an earlier question is not shown as the answer to this one.
  return answer.key === key ? answer : { loading: true };
}

/** Clears cached answers (the key changed, so what may be seen changed). */
export function clearCache(): void {
  cache.clear();
}

/** A GraphiQL link that opens this operation with these variables, ready to run. */
export function graphiqlHref<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables): string {
  const q = new URLSearchParams({ query: print(document), variables: JSON.stringify(variables, null, 2) });
  return `/graphql?${q.toString()}`;
}
