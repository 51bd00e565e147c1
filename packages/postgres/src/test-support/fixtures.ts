// Shared fixtures for the PostgreSQL tests: principals, a wired DeleteImage, row look-ups behind the store's back.
import type pg from 'pg';
import {
  DeleteImage,
  defaultDeletePolicy,
  systemClock,
  type Clock,
  type DeleteImageOptions,
  type DeletePolicy,
  type ImageRepository,
  type Principal,
} from '@image-catalog/core';
import { FIXTURE_OWNER } from '@image-catalog/testkit';

export const ownerMember: Principal = { userId: 'owner-user', projectId: FIXTURE_OWNER, roles: ['member'] };
export const admin: Principal = { userId: 'admin-user', projectId: 'admin-project', roles: ['admin'] };

/** The use case as a host wires it, with no inline data deletion (jobs stay queued for inspection). */
export function deleteImageUseCase(
  repository: ImageRepository,
  clock: Clock = systemClock,
  options: DeleteImageOptions = {},
  policy: DeletePolicy = defaultDeletePolicy,
): DeleteImage {
  return new DeleteImage(repository, policy, clock, null, undefined, options);
}

/** The default rule without `canDeleteSync`: the use case takes its read-then-delete path (`findById` first). */
export const asyncOnlyDeletePolicy: DeletePolicy = { canDelete: (principal, image) => defaultDeletePolicy.canDelete(principal, image) };

export interface ImageStateRow {
  readonly status: string;
  readonly deleted: boolean;
  readonly protected: boolean;
}

/** The image's row as stored, read directly. */
export async function imageRow(pool: pg.Pool, schema: string, imageId: string): Promise<ImageStateRow | undefined> {
  const result = await pool.query<ImageStateRow>(`SELECT status, deleted, protected FROM "${schema}".images WHERE id = $1`, [imageId]);
  return result.rows[0];
}

/** How many outbox rows and jobs an image has. */
export async function sideEffects(pool: pg.Pool, schema: string, imageId: string): Promise<{ events: number; jobs: number }> {
  const result = await pool.query<{ events: number; jobs: number }>(
    `SELECT (SELECT count(*)::int FROM "${schema}".outbox_events WHERE image_id = $1) AS events,
            (SELECT count(*)::int FROM "${schema}".data_deletion_jobs WHERE image_id = $1) AS jobs`,
    [imageId],
  );
  return result.rows[0]!;
}

/**
 * Waits (bounded) until some backend of this database is blocked on a lock while running a
 * statement containing `fragment`: proof that a writer really queued behind another's row lock.
 */
export async function waitUntilBlocked(pool: pg.Pool, fragment: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const result = await pool.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
      [fragment],
    );
    if (result.rowCount !== 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no backend blocked on a lock while running ${JSON.stringify(fragment)}`);
}
