// Reading, copying, limiting and ordering rows: the small helpers the memory ports share.
import { locationStatusOn, type DataDeletionJobState, type Image } from '@image-catalog/core';

/** Jobs that still stand between a `pending_delete` image and `deleted`: a dead job's data may still exist. */
export const OUTSTANDING_JOB_STATES: ReadonlySet<DataDeletionJobState> = new Set(['queued', 'dead']);

export function copyDate(date: Date): Date {
  return new Date(date.getTime());
}

/** A caller's `limit` as a slice end: none is no limit, NaN is zero, fractions round down. */
export function boundedLimit(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  return Number.isNaN(limit) ? 0 : Math.max(0, Math.floor(limit));
}

/** Oldest first by `createdAt`; `sort` is stable, so ties keep commit (insertion) order. */
export function oldestFirst<T extends { readonly createdAt: Date }>(rows: Iterable<T>): T[] {
  return [...rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/**
 * An image as stored (its children as they were written, never touched by a delete) as the ports
 * read it: a deleted image's `active` locations read `pending_delete`.
 */
export function readImage(stored: Image): Image {
  return stored.deleted
    ? { ...stored, locations: stored.locations.map((l) => ({ ...l, status: locationStatusOn(stored, l.status) })) }
    : stored;
}
