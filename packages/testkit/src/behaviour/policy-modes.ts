// The two ways of wiring a delete policy, and so the use case's two paths, the behaviour suite runs once each.
import { defaultDeletePolicy, type DeletePolicy } from '@image-catalog/core';

/** One way of wiring the policy, and so one of the use case's two paths. */
export interface DeletePolicyMode {
  readonly label: string;
  readonly policy: DeletePolicy;
  /** `true` when the use case reads the image (`findById`) before the delete: no `canDeleteSync`. */
  readonly readsFirst: boolean;
}

/**
 * The behaviour suite runs once per mode: the default policy (it has `canDeleteSync`, so the whole
 * decision is made on the image as read inside the adapter's delete transaction) and an async-only
 * policy with the same rule (no `canDeleteSync`: asked after a `findById`, its verdict pinned to
 * the owner it saw).
 */
export const DELETE_POLICY_MODES: readonly DeletePolicyMode[] = [
  { label: 'default policy, decided inside the transaction', policy: defaultDeletePolicy, readsFirst: false },
  {
    label: 'async-only policy, findById first',
    policy: { canDelete: (principal, image) => defaultDeletePolicy.canDelete(principal, image) },
    readsFirst: true,
  },
];
