/**
 * Result cache for analytic queries, keyed by the database's data version, the caller's
 * visibility scope and the request. Concurrent identical requests share one computation;
 * failures are not cached.
 *
 * The cache is bounded by memory: each result's size is estimated once, when it resolves
 * (`estimateBytes`), and entries are evicted least-recently-used until the total is within
 * `maxBytes`. A result larger than the whole budget is returned but not kept. `maxEntries`
 * bounds the number of entries as well (whichever limit is reached first). Either limit at 0
 * turns the cache off. Entries of an older data version can never be hit again, so they are
 * dropped as soon as the version changes.
 */
import { yielder } from './yielder';

export interface CacheLimits {
  /** Estimated bytes of results kept in memory; 0 turns the cache off. */
  maxBytes: number;
  /** Entries kept; 0 turns the cache off. */
  maxEntries?: number;
}

interface Entry {
  value: Promise<unknown>;
  /** Estimated size; 0 while the computation is still running. */
  bytes: number;
}

/** Rough per-value costs in V8 (64-bit, pointer compression off): enough to bound memory, not to account for it exactly. */
const WORD = 8;
const OBJECT_OVERHEAD = 4 * WORD;
const ARRAY_OVERHEAD = 4 * WORD;
const STRING_OVERHEAD = 2 * WORD;
/** Results are a few levels deep; a deeper (or cyclic) value is not walked further. */
const MAX_DEPTH = 32;

/** Arrays longer than this are sized from {@link SAMPLE} evenly spaced items. */
const SAMPLE_ABOVE = 256;
const SAMPLE = 64;

/**
 * An estimate of the memory a plain result (objects, arrays, strings, numbers) holds. Numbers
 * cost a word, strings two bytes a character, objects and arrays a header plus a word per slot.
 * Results are trees: a sub-object reached twice is counted twice (an overestimate, which errs on
 * the safe side), and nothing deeper than {@link MAX_DEPTH} is walked. The items of a long array
 * (the rows and points of an answer, alike in shape) are sized from an evenly spaced sample, so
 * sizing an answer costs a fraction of computing it.
 */
export function estimateBytes(value: unknown): Promise<number> {
  return walk(value, 0, yielder());
}

async function walk(value: unknown, startDepth: number, pause: () => Promise<void>): Promise<number> {
  let total = 0;
  // Objects and arrays wait on the stack; numbers and strings are counted where they are met, so
  // a result of millions of numbers does not allocate a stack entry for each.
  const stack: [object, number][] = [];
  /** Counts `v` if it is a leaf; else queues it to be walked. */
  const visit = (v: unknown, depth: number): void => {
    switch (typeof v) {
      case 'string':
        total += STRING_OVERHEAD + 2 * v.length;
        return;
      case 'object':
        if (v === null) total += WORD;
        else if (v instanceof Date) total += OBJECT_OVERHEAD + WORD;
        else if (depth < MAX_DEPTH) stack.push([v, depth]);
        return;
      default:
        total += WORD;
    }
  };
  visit(value, startDepth);
  for (let step = 1; stack.length > 0; step++) {
    // A large result takes a while to walk: give other requests their turn meanwhile.
    if (step % 1024 === 0) await pause();
    const [v, depth] = stack.pop()!;
    if (Array.isArray(v)) {
      total += ARRAY_OVERHEAD + WORD * v.length;
      if (v.length > SAMPLE_ABOVE) {
        let sampled = 0;
        for (let k = 0; k < SAMPLE; k++) sampled += await walk(v[Math.floor(((k + 0.5) * v.length) / SAMPLE)], depth + 1, pause);
        total += Math.round((sampled * v.length) / SAMPLE);
      } else for (const item of v) visit(item, depth + 1);
    } else {
      total += OBJECT_OVERHEAD;
      for (const k in v) {
        total += WORD;
        visit((v as Record<string, unknown>)[k], depth + 1);
      }
    }
  }
  return total;
}

export class ResultCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private totalBytes = 0;
  private currentVersion: number | undefined;

  constructor(
    limits: CacheLimits,
    private readonly version: () => number,
  ) {
    this.maxBytes = limits.maxBytes;
    this.maxEntries = limits.maxEntries ?? Number.POSITIVE_INFINITY;
  }

  /** Entries held, including computations still running. */
  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes of the results held; never above the byte limit. */
  get bytes(): number {
    return this.totalBytes;
  }

  private get enabled(): boolean {
    return this.maxBytes > 0 && this.maxEntries > 0;
  }

  /**
   * The cached result of `kind` for `request` as seen by `scopeKey` (the caller's visibility
   * scope: callers who see different data never share an entry), computing it on a miss.
   */
  async get<T>(kind: string, scopeKey: string, request: unknown, compute: () => Promise<T>): Promise<T> {
    if (!this.enabled) return compute();
    const version = this.version();
    if (version !== this.currentVersion) {
      this.clear();
      this.currentVersion = version;
    }
    const key = `${version}\u0000${scopeKey}\u0000${kind}\u0000${JSON.stringify(request)}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // refresh recency
      this.entries.set(key, hit);
      return hit.value as Promise<T>;
    }
    // The answer is handed out once it is sized, so the bound holds whenever a caller sees it.
    const entry: Entry = { value: Promise.resolve(), bytes: 0 };
    const value = compute().then(
      async (result) => {
        await this.settle(key, entry, result);
        return result;
      },
      (error: unknown) => {
        this.remove(key, entry);
        throw error;
      },
    );
    entry.value = value;
    this.entries.set(key, entry);
    this.evict();
    return value;
  }

  /** Sizes a resolved entry, unless it was evicted or cleared meanwhile, and restores the bound. */
  private async settle(key: string, entry: Entry, result: unknown): Promise<void> {
    if (this.entries.get(key) !== entry) return;
    const bytes = 2 * key.length + (await estimateBytes(result));
    if (this.entries.get(key) !== entry) return;
    if (bytes > this.maxBytes) {
      this.entries.delete(key);
      return;
    }
    entry.bytes = bytes;
    this.totalBytes += bytes;
    this.evict();
  }

  private remove(key: string, entry: Entry): void {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }

  /** Drops least-recently-used entries until both limits hold. Running computations stay (they size nothing yet). */
  private evict(): void {
    if (this.totalBytes <= this.maxBytes && this.entries.size <= this.maxEntries) return;
    for (const [key, entry] of this.entries) {
      if (this.totalBytes <= this.maxBytes && this.entries.size <= this.maxEntries) break;
      if (entry.bytes === 0 && this.entries.size <= this.maxEntries) continue;
      this.entries.delete(key);
      this.totalBytes -= entry.bytes;
    }
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }
}
