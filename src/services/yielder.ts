/**
 * Cooperative yielding for long computations on the event loop: call the returned function in
 * a loop and it gives other requests (health checks, small queries) a turn every `sliceMs`.
 * The analytics themselves stay synchronous and pure; the services that loop over runs, topics
 * and stances await this between items.
 */
export function yielder(sliceMs = 10): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}
