// Gives each test of a suite a fresh harness from the adapter's factory, closed after the test.
import { afterEach, beforeEach } from 'vitest';

/** Anything a suite sets up per test and must release afterwards. */
export interface Closable {
  close(): Promise<void>;
}

/** Registers the hooks in the current `describe`; call the returned function inside a test. */
export function useHarness<H extends Closable>(factory: () => Promise<H> | H): () => H {
  let harness: H | undefined;
  beforeEach(async () => {
    harness = await factory();
  });
  afterEach(async () => {
    const current = harness;
    harness = undefined;
    await current?.close();
  });
  return () => {
    if (harness === undefined) throw new Error('the harness is only available inside a test');
    return harness;
  };
}
