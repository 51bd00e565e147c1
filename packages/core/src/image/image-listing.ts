// How a listing page is bounded: Glance's default and maximum page size, and the failure for a marker that names no listed image.
import type { Principal } from './principal.js';
import { isAdmin } from './principal.js';

/** Images per page when the caller asks for no `limit` (Glance's `limit_param_default`). */
export const DEFAULT_LIST_LIMIT = 25;
/** The most images one page holds, whatever the caller asks for (Glance's `api_limit_max`). */
export const MAX_LIST_LIMIT = 1000;

/** `listImages` was given a `marker` that is not a live image the caller may see; Glance answers 400. */
export interface UnknownMarker {
  readonly kind: 'UnknownMarker';
  readonly marker: string;
}

/** The page size a listing uses: absent is the default, larger than the maximum is the maximum, nonsense (NaN, negative) is 0. */
export function listLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (Number.isNaN(limit)) return 0;
  return Math.min(MAX_LIST_LIMIT, Math.max(0, Math.floor(limit)));
}

/**
 * The visibility filter of a listing as the two values a query needs: `all` (no principal, or an
 * admin) lists every live image; otherwise `project` is the caller's project (or `null`) and the
 * rules of `isImageVisibleTo` apply.
 */
export function listingViewer(visibleTo: Principal | undefined): { readonly all: boolean; readonly project: string | null } {
  if (visibleTo === undefined || isAdmin(visibleTo)) return { all: true, project: null };
  return { all: false, project: visibleTo.projectId };
}
