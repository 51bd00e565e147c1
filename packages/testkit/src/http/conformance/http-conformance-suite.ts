// The HTTP conformance suite's frame: its title, one running target for the whole describe, and the parts it runs.
import { describeParts, type SuitePart } from '../../suite-parts.js';
import { useConformanceTarget, type ConformanceClient } from './conformance-client.js';
import type { HttpConformanceFactory } from './conformance-target.js';

/** A part of the conformance suite: registers its tests against the suite's target. */
export type ConformancePart = SuitePart<ConformanceClient>;

/** Registers `parts` of the HTTP conformance suite; `factory` starts one target for all of them. */
export function describeHttpConformanceParts(name: string, factory: HttpConformanceFactory, parts: readonly ConformancePart[]): void {
  describeParts(`HTTP conformance: ${name}`, () => useConformanceTarget(factory), parts);
}
