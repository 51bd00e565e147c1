// Who owns an image a principal creates: Glance's rule, plus no ownerless images made by non-admins.
import { err, ok, type Result } from 'neverthrow';
import { isAdmin, type Principal } from '../image/principal.js';

/** A non-admin asked for an owner other than its own project (or for none). */
export interface OwnerNotPermitted {
  readonly kind: 'OwnerNotPermitted';
  readonly message: string;
}

/**
 * A non-admin without a project (a project-less token) tried to create an image: it would be
 * ownerless, and then neither visible to it nor deletable by it.
 */
export interface ProjectRequired {
  readonly kind: 'ProjectRequired';
  readonly message: string;
}

export type NewImageOwnerFailure = OwnerNotPermitted | ProjectRequired;

/**
 * The owner of a new image. `requestedOwner` is what the request asked for: `undefined` when it
 * did not say, `null` for "no owner".
 * - An admin may set any owner or none; without a request the image is the admin's project's
 *   (ownerless when the admin has no project).
 * - A non-admin always gets its own project: asking for it is fine, asking for another one or
 *   for none is `OwnerNotPermitted`, and without a project it is `ProjectRequired`.
 * Both failures are authorization failures (HTTP 403).
 */
export function ownerForNewImage(
  principal: Principal,
  requestedOwner: string | null | undefined,
): Result<string | null, NewImageOwnerFailure> {
  if (isAdmin(principal)) return ok(requestedOwner === undefined ? principal.projectId : requestedOwner);
  if (principal.projectId === null) {
    return err({
      kind: 'ProjectRequired',
      message: 'You are not permitted to create images without a project: use a project-scoped token.',
    });
  }
  if (requestedOwner !== undefined && requestedOwner !== principal.projectId) {
    return err({ kind: 'OwnerNotPermitted', message: 'You are not permitted to create images owned by another project.' });
  }
  return ok(principal.projectId);
}
