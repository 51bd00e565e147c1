// Races one call of a port against a deadline, so a store or bus that never answers cannot hold a worker.

/** How a call ended: its answer, no answer by the deadline, or a throw/rejection (a defect of the port). */
export type Timed<T> =
  { readonly kind: 'answered'; readonly value: T } | { readonly kind: 'timedOut' } | { readonly kind: 'threw'; readonly cause: unknown };

/** Calls `work` and waits at most `timeoutMs` for it. Never rejects; the timer is unref'd and always cleared. */
export async function withTimeout<T>(work: () => PromiseLike<T>, timeoutMs: number): Promise<Timed<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Timed<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timedOut' }), timeoutMs);
    timer.unref?.();
  });
  const answer = (async (): Promise<Timed<T>> => {
    try {
      return { kind: 'answered', value: await work() };
    } catch (cause) {
      return { kind: 'threw', cause };
    }
  })();
  try {
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
