// A RateLimiter whose windows live in PostgreSQL, so every server process counts against one shared limit.
import type { StorageError } from '@image-catalog/core';
import type { RateLimitDecision, RateLimiter } from '@image-catalog/http';
import { asDate } from '@image-catalog/sql-kit';
import type { ResultAsync } from 'neverthrow';
import type { PgPool } from './pg-pool.js';
import type { PgRunner, Statement } from './pg-runner.js';
import { postgresConnection } from './postgres-connection.js';
import type { PostgresTimeoutOptions } from './postgres-timeouts.js';

/**
 * `lockTimeoutMs`, `statementTimeoutMs` and `acquireTimeoutMs` bound each request's statement as
 * they bound the storage ports' (defaults 5000, 10000, `lockTimeoutMs`): a window row or table
 * locked elsewhere, or an exhausted pool, answers `StorageUnavailable` (503) in bounded time.
 */
export interface PostgresRateLimiterOptions extends PostgresTimeoutOptions {
  /** The host's pool; the limiter never ends it. */
  readonly pool: PgPool;
  /** Requests allowed per key and window (a whole number >= 1). */
  readonly limit: number;
  /** Window length in seconds (> 0). */
  readonly windowSeconds: number;
  /** Schema migrated with `migrate` (default `image_catalog`). */
  readonly schema?: string;
  /**
   * How often (by the request clock) a consume also removes up to `cleanupBatch` windows that
   * have closed (default: the window length, at least 60 s). Each process does its share; rows
   * another process is touching are skipped.
   */
  readonly cleanupIntervalSeconds?: number;
  /** Closed windows removed per cleanup at most (default 1000), so a cleanup never becomes a long statement. */
  readonly cleanupBatch?: number;
  /** `retryAfterSeconds` of the `StorageUnavailable` errors reported (default 5). */
  readonly retryAfterSeconds?: number;
}

interface WindowRow {
  readonly window_start: Date;
  readonly hits: number;
}

/**
 * Same rule as `InProcessRateLimiter`: at most `limit` requests per key in a fixed window of
 * `windowSeconds` that opens with the key's first request (by the `now` the caller passes); a
 * refused request learns when the window closes. Each request is ONE atomic
 * `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` on the key's row, so concurrent requests
 * from any number of processes are counted exactly once each and never exceed the limit
 * together. Refused requests are counted too, capped at `limit + 1`, which is how the statement
 * tells "this one made it" from "this one did not" without a second round trip.
 * An unreachable, locked or stalled database answers `StorageUnavailable` (the HTTP layer's 503)
 * within the timeouts, never a throw.
 */
export class PostgresRateLimiter implements RateLimiter {
  readonly #db: PgRunner;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #cleanupIntervalMs: number;
  readonly #cleanupBatch: number;
  readonly #consume: Statement;
  readonly #consumeAndClean: Statement;
  #nextCleanupMs = -Infinity;

  constructor(options: PostgresRateLimiterOptions) {
    const { limit, windowSeconds, cleanupBatch = 1000 } = options;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('PostgresRateLimiter: limit must be a whole number >= 1');
    if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) throw new RangeError('PostgresRateLimiter: windowSeconds must be > 0');
    const cleanupIntervalSeconds = options.cleanupIntervalSeconds ?? Math.max(windowSeconds, 60);
    if (!Number.isFinite(cleanupIntervalSeconds) || cleanupIntervalSeconds < 0)
      throw new RangeError('PostgresRateLimiter: cleanupIntervalSeconds must be >= 0');
    if (!Number.isInteger(cleanupBatch) || cleanupBatch < 1)
      throw new RangeError('PostgresRateLimiter: cleanupBatch must be a whole number >= 1');
    this.#limit = limit;
    this.#windowMs = windowSeconds * 1000;
    this.#cleanupIntervalMs = cleanupIntervalSeconds * 1000;
    this.#cleanupBatch = cleanupBatch;
    const connection = postgresConnection(options.pool, {
      schema: options.schema,
      retryAfterSeconds: options.retryAfterSeconds,
      lockTimeoutMs: options.lockTimeoutMs,
      statementTimeoutMs: options.statementTimeoutMs,
      acquireTimeoutMs: options.acquireTimeoutMs,
    });
    this.#db = connection.db;
    const s = connection.schema.sql;
    const named = connection.statement;
    // $1 key, $2 now, $3 window (ms), $4 limit. A clock behind the window's start still counts in
    // that window (as in-process), so skew between servers cannot open extra windows.
    const upsert = `INSERT INTO ${s}.rate_limit_windows AS w (key, window_start, hits) VALUES ($1, $2::timestamptz, 1)
      ON CONFLICT (key) DO UPDATE SET
        window_start = CASE WHEN $2::timestamptz >= w.window_start + $3::double precision * interval '1 millisecond' THEN $2::timestamptz ELSE w.window_start END,
        hits = CASE WHEN $2::timestamptz >= w.window_start + $3::double precision * interval '1 millisecond' THEN 1 ELSE least(w.hits + 1, $4::integer + 1) END
      RETURNING window_start, hits`;
    this.#consume = named('rateLimitConsume', upsert);
    // The same upsert with a bounded purge of closed windows riding along: no extra round trip.
    // The purge skips the key being counted (one statement must not touch a row twice) and rows
    // other requests hold.
    this.#consumeAndClean = named(
      'rateLimitConsumeAndClean',
      `WITH purge AS (
         DELETE FROM ${s}.rate_limit_windows WHERE key IN (
           SELECT key FROM ${s}.rate_limit_windows
           WHERE window_start <= $2::timestamptz - $3::double precision * interval '1 millisecond' AND key <> $1
           LIMIT $5 FOR UPDATE SKIP LOCKED)
       ), counted AS (${upsert})
       SELECT window_start, hits FROM counted`,
    );
  }

  consume(key: string, now: Date): ResultAsync<RateLimitDecision, StorageError> {
    const nowMs = now.getTime();
    const clean = nowMs >= this.#nextCleanupMs;
    if (clean) this.#nextCleanupMs = nowMs + this.#cleanupIntervalMs;
    const values = [key, now, this.#windowMs, this.#limit];
    return this.#db
      .transaction(async (db) => {
        const result = await db.query<WindowRow>(clean ? this.#consumeAndClean([...values, this.#cleanupBatch]) : this.#consume(values));
        const row = result.rows[0];
        if (row === undefined) throw new Error('rate limiter upsert returned no row');
        return row;
      })
      .map((row): RateLimitDecision => {
        if (row.hits <= this.#limit) return { allowed: true };
        const retryAtMs = asDate(row.window_start).getTime() + this.#windowMs;
        // A clock that went backwards (or runs behind another server's) must not ask for more than one window's wait.
        const waitMs = Math.min(Math.max(retryAtMs - nowMs, 0), this.#windowMs);
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), retryAt: new Date(nowMs + waitMs) };
      });
  }
}
