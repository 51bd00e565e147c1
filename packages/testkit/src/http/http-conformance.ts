// The HTTP conformance suite: every row of behaviour.md §9 and §10, over real HTTP, against a base URL; the sum of its parts.
import { authenticationPart } from './conformance/authentication.conformance.js';
import { bodyPart } from './conformance/body.conformance.js';
import type { HttpConformanceFactory } from './conformance/conformance-target.js';
import { faultFormatsPart } from './conformance/fault-formats.conformance.js';
import { hostileInputPart } from './conformance/hostile-input.conformance.js';
import { describeHttpConformanceParts } from './conformance/http-conformance-suite.js';
import { methodsPart } from './conformance/methods.conformance.js';
import { optionsPart } from './conformance/options.conformance.js';
import { rateLimitPart } from './conformance/rate-limit.conformance.js';
import { requestIdsPart } from './conformance/request-ids.conformance.js';
import { useCasePart } from './conformance/use-case.conformance.js';

/**
 * Registers the whole HTTP conformance suite against one target that `factory` starts (once, for
 * every part). Each part can also run alone, against a target of its own
 * (`describeHttpConformanceOptions`, `…Authentication`, `…Methods`, `…RateLimit`, `…Body`,
 * `…UseCase`, `…RequestIds`, `…FaultFormats`, `…HostileInput`).
 */
export function describeHttpConformance(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [
    optionsPart,
    authenticationPart,
    methodsPart,
    rateLimitPart,
    bodyPart,
    useCasePart,
    requestIdsPart,
    faultFormatsPart,
    hostileInputPart,
  ]);
}
