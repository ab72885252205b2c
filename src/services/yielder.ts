/**
 * Cooperative scheduling of long synchronous work on the one event loop: the analytics loops,
 * the completion of large GraphQL results and their serialisation all run in slices of about
 * `SLICE_MS`, and between slices the loop turns, so health checks and small queries keep being
 * answered while a heavy query runs.
 *
 * Work that has used up the slice waits for a later turn, in the queue of its owner (a request,
 * a computation). Each turn of the event loop (after pending I/O has been handled) resumes the
 * waiters of one owner, the owners taking turns round-robin: a small query that arrives while a
 * heavy one has thousands of pieces queued waits for one turn, not for all of them.
 */
export const SLICE_MS = 10;

/**
 * Waiters of one owner resumed per turn. A resumed analytics loop checks the slice after each
 * item; a resumed GraphQL list item is completed afterwards, in microtasks no check can
 * interrupt, but its own lists check the slice again. Resuming a batch saves turns (answers have
 * many small items) while bounding what one turn can hold.
 */
const BATCH = 64;

/** The owner of work that names none. */
const SHARED = {};

let sliceStart = performance.now();
/** Owners with waiting work, in turn order (a Map keeps insertion order). */
const queues = new Map<object, (() => void)[]>();
let scheduled = false;

function pump(): void {
  scheduled = false;
  sliceStart = performance.now();
  const next = queues.entries().next();
  if (!next.done) {
    const [owner, queue] = next.value;
    queues.delete(owner);
    const batch = queue.splice(0, BATCH);
    // The rest goes to the back of the rotation; waiters added now join it there.
    if (queue.length > 0) queues.set(owner, queue);
    for (const resume of batch) resume();
  }
  if (queues.size > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(pump);
}

/** Whether the current slice is used up: a caller that gets `true` should `await nextTurn()`. */
export function sliceUsed(): boolean {
  return performance.now() - sliceStart >= SLICE_MS;
}

/** Resolves on one of `owner`'s later turns of the event loop, after waiting I/O has been handled. */
export function nextTurn(owner: object = SHARED): Promise<void> {
  return new Promise<void>((resolve) => {
    const queue = queues.get(owner);
    if (queue) queue.push(resolve);
    else queues.set(owner, [resolve]);
    schedule();
  });
}

/** Gives the event loop a turn if the current slice is used up; cheap to call in tight loops. */
export async function pause(owner: object = SHARED): Promise<void> {
  if (sliceUsed()) await nextTurn(owner);
}

/** A pause function for one computation, which takes turns with the others as one owner. */
export function yielder(): () => Promise<void> {
  const owner = {};
  return () => pause(owner);
}
