// A pool wrapper for tests: fails a chosen query, or runs a hook before one, around a real pg.Pool.
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { PgPool, PgPoolClient, PgQueryable } from '../pg-pool.js';

/** An error shaped like node-postgres's: the adapter maps it by `code` like a real one. */
export function pgError(code: string, message = `injected failure (${code})`): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

/** Which query a hook or fault applies to. */
export type QueryMatcher = (config: QueryConfig, index: number) => boolean;

/** The statement named `<prefix><name>` (names carry a per-schema prefix). */
export const named =
  (name: string): QueryMatcher =>
  (config) =>
    config.name?.endsWith(`_${name}`) ?? false;

interface Fault {
  readonly matches: QueryMatcher;
  readonly error: unknown;
  remaining: number;
}

interface Hook {
  readonly matches: QueryMatcher;
  readonly run: (config: QueryConfig) => Promise<void>;
  remaining: number;
}

/**
 * Counts every query (BEGIN/COMMIT/ROLLBACK included) through the pool and its clients. A fault
 * makes a matching query throw instead of reaching PostgreSQL; a hook runs (and is awaited)
 * just before a matching query is sent, so a test can slot another actor's step exactly there.
 */
export class InstrumentedPool implements PgPool {
  #count = 0;
  readonly #faults: Fault[] = [];
  readonly #hooks: Hook[] = [];
  /** Text of every query sent, in order (for tests that count steps). */
  readonly log: string[] = [];

  constructor(readonly inner: PgPool) {}

  get queries(): number {
    return this.#count;
  }

  /** The `nth` query from now (1 = the next) throws `error`. */
  failNth(nth: number, error: unknown): void {
    const target = this.#count + nth;
    this.failWhen((_c, index) => index === target, error);
  }

  failWhen(matches: QueryMatcher, error: unknown, times = 1): void {
    this.#faults.push({ matches, error, remaining: times });
  }

  before(matches: QueryMatcher, run: (config: QueryConfig) => Promise<void>, times = 1): void {
    this.#hooks.push({ matches, run, remaining: times });
  }

  clear(): void {
    this.#faults.length = 0;
    this.#hooks.length = 0;
  }

  query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>> {
    return this.#send<R>(this.inner, config);
  }

  async connect(): Promise<PgPoolClient> {
    const client = await this.inner.connect();
    return {
      query: <R extends QueryResultRow = QueryResultRow>(config: QueryConfig) => this.#send<R>(client, config),
      release: (destroy?: boolean | Error) => client.release(destroy),
      on: (event, listener) => client.on(event, listener),
      removeListener: (event, listener) => client.removeListener(event, listener),
    };
  }

  async #send<R extends QueryResultRow>(target: PgQueryable, config: QueryConfig): Promise<QueryResult<R>> {
    const index = ++this.#count;
    this.log.push(config.name ?? config.text);
    const hook = this.#hooks.find((h) => h.remaining > 0 && h.matches(config, index));
    if (hook !== undefined) {
      hook.remaining -= 1;
      await hook.run(config);
    }
    const fault = this.#faults.find((f) => f.remaining > 0 && f.matches(config, index));
    if (fault !== undefined) {
      fault.remaining -= 1;
      throw fault.error;
    }
    return target.query<R>(config);
  }
}
