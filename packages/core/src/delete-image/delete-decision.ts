// The decision a store applies inside its delete transaction, in the order of behaviour.md §2, and how it is built.
import { isLive, type Image } from '../image/image.js';
import type { Principal } from '../image/principal.js';
import { isImageVisibleTo } from '../image/visibility.js';
import { planDeletion, type DeletionPlan, type DeletionPlanSettings } from './deletion-plan.js';

/** What to do with the image as read inside the transaction. Only `Delete` writes anything. */
export type DeleteDecision =
  | { readonly kind: 'Delete'; readonly plan: DeletionPlan }
  /** Unknown, deleted, pending delete, or not visible to the caller. */
  | { readonly kind: 'NotFound' }
  /** Visible, but the delete policy denies. */
  | { readonly kind: 'Forbidden' }
  /** Allowed, but `protected` is true. */
  | { readonly kind: 'Protected' };

export interface DeleteDecisionInputs {
  readonly principal: Principal;
  /** The delete policy's verdict on an image, synchronous and pure (an asynchronous policy is resolved before and pinned). */
  readonly mayDelete: (image: Image) => boolean;
  readonly plan: DeletionPlanSettings;
}

/**
 * Decides the delete of `image` (`null`: no such id): not live or not visible → `NotFound`
 * (never revealing an invisible image), policy denies → `Forbidden`, protected → `Protected`,
 * else `Delete` with the plan to commit.
 */
export function decideDeletion(image: Image | null, inputs: DeleteDecisionInputs): DeleteDecision {
  if (image === null || !isLive(image) || !isImageVisibleTo(image, inputs.principal)) return { kind: 'NotFound' };
  if (!inputs.mayDelete(image)) return { kind: 'Forbidden' };
  if (image.protected) return { kind: 'Protected' };
  return { kind: 'Delete', plan: planDeletion(image, inputs.plan) };
}
