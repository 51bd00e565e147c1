// The slice of node-postgres this package uses, so the host's `pg.Pool` (or a wrapper around it) fits.
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';

/** Something that runs one query: a `pg.Pool` or a checked-out `pg.PoolClient`. */
export interface PgQueryable {
  query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>>;
}

/** A connection checked out of the pool for a transaction. */
export interface PgPoolClient extends PgQueryable {
  /** `release(true)` or `release(error)` destroys the connection instead of returning it to the pool. */
  release(destroy?: boolean | Error): void;
  /**
   * A checked-out connection that dies between two queries (server restart, killed backend)
   * emits `error`; with no listener Node would throw it out of the process, so the store listens
   * while it holds the connection.
   */
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** What the store and the rate limiter need from the host's `pg.Pool`. They never end it: the host does. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
}
