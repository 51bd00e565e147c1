// Per-project image quotas (Glance's `image_count_total` and `image_size_total`): the setting, the failure, and the pure checks stores run in their transactions.

/** The quotas, named as Glance registers them in Keystone's unified limits. */
export const QUOTA_RESOURCES = ['image_count_total', 'image_size_total'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/**
 * Per-project limits a store enforces, the same for every project; an absent limit is no limit,
 * and a store opened without quotas does no quota work at all. Only images with an owner count,
 * and only towards their owner's quota: an image without owner (an admin's) is never counted.
 */
export interface ImageQuotas {
  /**
   * Most live images (not `deleted`, not `pending_delete`) a project may own. `createImage` of
   * one more is `QuotaExceeded` (`image_count_total`, delta 1), nothing stored.
   */
  readonly imageCountTotal?: number;
  /**
   * Most bytes of image data a project's live images may hold together (the sum of their
   * `size`). `attachImageData` whose data would take the project past it is `QuotaExceeded`
   * (`image_size_total`, delta the data's size), nothing recorded. Bytes, not Glance's MiB.
   */
  readonly imageSizeTotal?: number;
}

/** A project is over one of its quotas; the write was refused and nothing was stored (Glance: 413). */
export interface QuotaExceeded {
  readonly kind: 'QuotaExceeded';
  readonly resource: QuotaResource;
  readonly projectId: string;
  readonly limit: number;
  /** What the project holds without this write: live images, or bytes of its other live images. */
  readonly usage: number;
  /** What the write would add: 1 image, or the bytes of the data. */
  readonly delta: number;
  /** oslo.limit's wording, as Glance's 413 carries it. */
  readonly message: string;
}

const QUOTA_FIELDS = { imageCountTotal: 'image_count_total', imageSizeTotal: 'image_size_total' } as const satisfies Record<
  keyof ImageQuotas,
  QuotaResource
>;

/**
 * `quotas` checked and copied, for a storage factory's `quotas` option (`where` names the
 * factory in the message). Throws a `RangeError` for anything but an object whose known keys are
 * absent or whole numbers from 0 to `Number.MAX_SAFE_INTEGER`; an unknown key (a typo would
 * otherwise mean "no limit") is refused too.
 */
export function validImageQuotas(quotas: ImageQuotas | undefined, where: string): ImageQuotas {
  if (quotas === undefined) return {};
  if (quotas === null || typeof quotas !== 'object' || Array.isArray(quotas)) {
    throw new RangeError(`${where}: quotas must be an object like { imageCountTotal, imageSizeTotal }`);
  }
  const valid: { -readonly [K in keyof ImageQuotas]: number } = {};
  for (const [key, value] of Object.entries(quotas) as [string, unknown][]) {
    if (!Object.hasOwn(QUOTA_FIELDS, key)) {
      throw new RangeError(`${where}: quotas.${key} is not a quota; use ${Object.keys(QUOTA_FIELDS).join(' or ')}`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(
        `${where}: quotas.${key} must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER} (leave it out for no limit), got ${String(value)}`,
      );
    }
    valid[key as keyof ImageQuotas] = value;
  }
  return Object.freeze(valid);
}

/**
 * The project whose `resource` quota a write of an image owned by `owner` must be checked
 * against, or `null` when there is nothing to check: no limit on `resource`, or no owner.
 * Stores ask this first, so without quotas they take no lock and count nothing.
 */
export function quotaProject(quotas: ImageQuotas, resource: QuotaResource, owner: string | null): string | null {
  const limit = resource === 'image_count_total' ? quotas.imageCountTotal : quotas.imageSizeTotal;
  return limit === undefined ? null : owner;
}

/** oslo.limit's `ProjectOverLimit` text, which Glance puts in its 413. */
export function quotaExceededMessage(failure: Pick<QuotaExceeded, 'resource' | 'projectId' | 'limit' | 'usage' | 'delta'>): string {
  return (
    `Project ${failure.projectId} is over a limit for [Resource ${failure.resource} is over limit of ${failure.limit} ` +
    `due to current usage ${failure.usage} and delta ${failure.delta}]`
  );
}

function over(resource: QuotaResource, limit: number | undefined, projectId: string, usage: number, delta: number): QuotaExceeded | null {
  // oslo.limit's rule: refused when usage + delta exceeds the limit, so a project may use exactly its limit.
  if (limit === undefined || usage + delta <= limit) return null;
  const facts = { resource, projectId, limit, usage, delta };
  return { kind: 'QuotaExceeded', ...facts, message: quotaExceededMessage(facts) };
}

/** One more image for a project owning `usage` live images: the failure, or `null` when it fits. */
export function imageCountExceeded(quotas: ImageQuotas, projectId: string, usage: number): QuotaExceeded | null {
  return over('image_count_total', quotas.imageCountTotal, projectId, usage, 1);
}

/**
 * `delta` bytes of data for an image of a project whose other live images hold `usage` bytes
 * (the image's own earlier size, if any, is replaced and so not counted): the failure, or `null`.
 * Unlike Glance, which checks the usage before an upload and lets the upload that crosses the
 * limit finish, the size of the data is known here, so the upload that would cross it is refused.
 */
export function imageSizeExceeded(quotas: ImageQuotas, projectId: string, usage: number, delta: number): QuotaExceeded | null {
  return over('image_size_total', quotas.imageSizeTotal, projectId, usage, delta);
}
