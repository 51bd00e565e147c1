// Splits a suite into named parts: each part registers its tests, and a suite runs any set of them under one describe.
import { describe } from 'vitest';

/** One named part of a suite: registers its tests given what the suite set up (a harness, a target). */
export type SuitePart<C> = (context: C) => void;

/**
 * `describe(title)` with `setup()` called inside it (so its hooks belong to this describe) and the
 * parts registered in order. A suite's aggregate passes all its parts, a single-part run passes one:
 * both produce the same test names.
 */
export function describeParts<C>(title: string, setup: () => C, parts: readonly SuitePart<C>[]): void {
  describe(title, () => {
    const context = setup();
    for (const part of parts) part(context);
  });
}
