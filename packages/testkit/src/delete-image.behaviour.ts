// The DeleteImage use case run over an adapter (behaviour.md §2–§5 and §8): the sum of its parts, once per policy mode.
import { describeDeleteImageParts } from './behaviour/behaviour-suite.js';
import { concurrencyPart } from './behaviour/concurrency.behaviour.js';
import { dataDeletionPart } from './behaviour/data-deletion.behaviour.js';
import { faultsPart } from './behaviour/faults.behaviour.js';
import { orderOfChecksPart } from './behaviour/order-of-checks.behaviour.js';
import { DELETE_POLICY_MODES, type DeletePolicyMode } from './behaviour/policy-modes.js';
import { successPart } from './behaviour/success.behaviour.js';
import { visibilityMatrixPart } from './behaviour/visibility-matrix.behaviour.js';
import type { StorageHarnessFactory } from './storage-harness.js';

/**
 * Registers the DeleteImage behaviour suite: the use case with a fixed clock and the adapter's
 * repository must answer exactly as behaviour.md §2–§4 says, once per policy mode (both of its
 * paths). Each part can also run alone (`describeDeleteImageOrderOfChecks`, `…VisibilityMatrix`,
 * `…Success`, `…Faults`, `…Concurrency`, `…DataDeletion`).
 */
export function describeDeleteImageBehaviour(
  name: string,
  factory: StorageHarnessFactory,
  modes: readonly DeletePolicyMode[] = DELETE_POLICY_MODES,
): void {
  describeDeleteImageParts(name, factory, modes, [
    orderOfChecksPart,
    visibilityMatrixPart,
    successPart,
    faultsPart,
    concurrencyPart,
    dataDeletionPart,
  ]);
}
