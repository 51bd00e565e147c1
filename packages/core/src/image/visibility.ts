// Who may see an image: the rule that decides between "not found" and anything else.
import type { Image } from './image.js';
import { isLive } from './image.js';
import type { Principal } from './principal.js';
import { isAdmin } from './principal.js';

/**
 * True when `principal` may see the live `image`.
 * Admins see every live image; the owning project sees its own; `public` and `community`
 * images are visible to everyone; `shared` images to their member projects (any status);
 * `private` images only to their owner.
 */
export function isImageVisibleTo(image: Image, principal: Principal): boolean {
  if (!isLive(image)) return false;
  if (isAdmin(principal)) return true;
  const project = principal.projectId;
  if (image.owner !== null && project !== null && image.owner === project) return true;
  switch (image.visibility) {
    case 'public':
    case 'community':
      return true;
    case 'shared':
      return project !== null && image.members.some((m) => m.memberId === project);
    case 'private':
      return false;
    default: {
      const unknown: never = image.visibility;
      return unknown;
    }
  }
}
