// Data-deletion jobs: queued in the delete transaction, run inline or by the scrubber.
import type { ResultAsync } from 'neverthrow';
import type { StorageError } from './storage-error.js';

export type DataDeletionJobState = 'queued' | 'done' | 'dead' | 'cancelled';

/** Removal of one data location of a deleted image. */
export interface DataDeletionJob {
  readonly id: string;
  readonly imageId: string;
  readonly locationId: string;
  readonly url: string;
  readonly state: DataDeletionJobState;
  /** Failed attempts so far. */
  readonly attempts: number;
  /** The job is not handed out by `claimDue` before this time (due time, backoff or lease). */
  readonly availableAt: Date;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ClaimDueJobs {
  readonly now: Date;
  readonly limit: number;
  /** Claimed jobs are not handed out again for this long (crash safety: a lost worker's jobs come back). */
  readonly leaseSeconds: number;
}

export interface JobFailure {
  readonly now: Date;
  /** A short description for operators; never shown to API clients. */
  readonly error: string;
  /** When to try again; `null` moves the job to the dead-letter state. */
  readonly retryAt: Date | null;
}

/** Which children `purgeDeletedChildren` may remove, and how many at most in one call. */
export interface PurgeDeletedChildren {
  /** Only images deleted (their `deletedAt`) at or before this time. */
  readonly olderThan: Date;
  /** At most this many child rows (properties, tags, members and locations together) in one call. */
  readonly limit: number;
}

export interface JobCounts {
  readonly queued: number;
  readonly done: number;
  readonly dead: number;
  readonly cancelled: number;
}

export interface DataDeletionJobQueue {
  /**
   * Queued jobs with `availableAt <= now`, oldest first, leased until `now + leaseSeconds`. The
   * adapter also records, durably and in the same transaction, that each job has been claimed
   * (a marker the port does not expose); from then on `ImageRepository.restoreImage` refuses the
   * job's image with `DataAlreadyDeleted`, since its data may be being deleted.
   */
  claimDue(request: ClaimDueJobs): ResultAsync<readonly DataDeletionJob[], StorageError>;
  /**
   * Marks a job done and its location deleted; when it was the last outstanding job of a
   * `pending_delete` image, the image becomes `deleted` in the same transaction.
   * Completing a job that is not queued is a no-op.
   */
  complete(jobId: string, now: Date): ResultAsync<void, StorageError>;
  /** Records a failed attempt (`attempts + 1`) and reschedules it, or dead-letters it. */
  fail(jobId: string, failure: JobFailure): ResultAsync<void, StorageError>;
  /** Jobs of one image, or all jobs in a state, oldest first. */
  listJobs(filter: {
    readonly imageId?: string;
    readonly state?: DataDeletionJobState;
    readonly limit?: number;
  }): ResultAsync<readonly DataDeletionJob[], StorageError>;
  /**
   * Puts dead jobs (all, or these ids) back in the queue, due at `now`, attempts reset; returns
   * how many. Only `dead` jobs: a job a restore `cancelled` never comes back.
   */
  requeueDead(now: Date, jobIds?: readonly string[]): ResultAsync<number, StorageError>;
  counts(): ResultAsync<JobCounts, StorageError>;
  /**
   * The earliest `availableAt` of a queued job (due, delayed, backing off or leased), or `null`
   * when none is queued: when `claimDue` will next have something to hand out. The scrubber
   * sleeps until then rather than polling. Dead, done and cancelled jobs never count.
   */
  nextDueAt(): ResultAsync<Date | null, StorageError>;
  /**
   * Removes, in one transaction, up to `limit` child rows (properties, tags, members,
   * locations) of images that are finally gone: status `deleted`, `deletedAt <= olderThan`, and
   * no job `queued` or `dead` (all `done` or `cancelled`, or none). Answers how many rows it
   * removed; `0` when nothing is left to purge. Never touches a live or `pending_delete` image
   * (a restore may still bring it back) nor a `deleted` one whose data is still to be removed.
   * A delete leaves the children where they are (the image's state hides them); this is how
   * they go, later, in bounded batches, off the request path. A purged image still reads back,
   * without children; its jobs and its outbox event stay.
   */
  purgeDeletedChildren(request: PurgeDeletedChildren): ResultAsync<number, StorageError>;
}
