// Glance's default delete_image rule: an admin, or a member of the project that owns the image.
import { okAsync, type ResultAsync } from 'neverthrow';
import type { Image } from '../image/image.js';
import type { Principal } from '../image/principal.js';
import { hasRole, isAdmin } from '../image/principal.js';
import type { DeletePolicy } from '../ports/delete-policy.port.js';
import type { StorageError } from '../ports/storage-error.js';

/** The pure rule, for callers that need it synchronously. */
export function defaultCanDelete(principal: Principal, image: Image): boolean {
  if (isAdmin(principal)) return true;
  if (image.owner === null || principal.projectId === null) return false;
  return image.owner === principal.projectId && hasRole(principal, 'member');
}

/**
 * `role:admin or (role:member and project_id:%(owner)s)`. Readers and observers of the owning
 * project are denied; an image without an owner can be deleted by an admin only.
 */
export const defaultDeletePolicy: DeletePolicy = {
  canDelete(principal: Principal, image: Image): ResultAsync<boolean, StorageError> {
    return okAsync(defaultCanDelete(principal, image));
  },
  canDeleteSync: defaultCanDelete,
};
