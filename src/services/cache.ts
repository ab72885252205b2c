/**
 * Result cache for analytic queries, keyed by the database's data version and the request.
 * Concurrent identical requests share one computation; failures are not cached. Entries are
 * evicted least-recently-used beyond `maxEntries`.
 */
export class ResultCache {
  private readonly entries = new Map<string, Promise<unknown>>();

  constructor(
    private readonly maxEntries: number,
    private readonly version: () => number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached result of `kind` for `request` as seen by `scopeKey` (the caller's visibility
   * scope: callers who see different data never share an entry), computing it on a miss.
   */
  async get<T>(kind: string, scopeKey: string, request: unknown, compute: () => Promise<T>): Promise<T> {
    if (this.maxEntries <= 0) return compute();
    const key = `${this.version()}\u0000${scopeKey}\u0000${kind}\u0000${JSON.stringify(request)}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // refresh recency
      this.entries.set(key, hit);
      return hit as Promise<T>;
    }
    const pending = compute();
    this.entries.set(key, pending);
    pending.catch(() => this.entries.delete(key));
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return pending;
  }

  clear(): void {
    this.entries.clear();
  }
}
