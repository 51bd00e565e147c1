// Unwraps neverthrow results in tests, failing with the other side's content when the result is the wrong one.
import { inspect } from 'node:util';
import type { Result } from 'neverthrow';
import { expect } from 'vitest';

type Resultish<T, E> = PromiseLike<Result<T, E>> | Result<T, E>;

function show(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Infinity });
}

/** The ok value; fails the test with the error when it is an err. */
export async function expectOk<T, E>(result: Resultish<T, E>): Promise<T> {
  const settled = await result;
  if (settled.isErr()) expect.fail(`expected ok, got err ${show(settled.error)}`);
  return settled.value;
}

/** The error; fails the test with the value when it is ok. */
export async function expectErr<T, E>(result: Resultish<T, E>): Promise<E> {
  const settled = await result;
  if (settled.isOk()) expect.fail(`expected err, got ok ${show(settled.value)}`);
  return settled.error;
}
