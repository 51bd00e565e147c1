// A pool wrapper for the contract suites' injectFault: real server errors (SIGNAL) or a real refused connection, at the asked moment.
import { createServer } from 'node:net';
import { createPool, type Pool } from 'mysql2/promise';
import type { StorageError } from '@image-catalog/core';
import type { MysqlPool, MysqlPoolConnection } from '../mysql-connection.js';

export interface ArmedFault {
  readonly kind: StorageError['kind'];
  /** `true`: let the call write once, then fail its next statement; `false`: fail before it touches anything. */
  readonly midTransaction: boolean;
}

/** Statements the server itself fails with: a lock wait timeout (errno 1205) or a user-defined error (errno 1644). */
const SIGNALS: Record<StorageError['kind'], string> = {
  StorageUnavailable: "SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, MESSAGE_TEXT = 'Lock wait timeout exceeded (injected)'",
  StorageFault: "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected fault'",
};

const WRITE = /^\s*(INSERT|UPDATE|DELETE)\b/i;

/** A loopback port nothing listens on: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return address.port;
}

export class FaultPool implements MysqlPool {
  private armed: ArmedFault | null = null;
  private refused: Pool | null = null;

  constructor(private readonly pool: Pool) {}

  /** Runs `call` with `fault` armed for every connection it takes; disarmed afterwards. */
  async during<T>(fault: ArmedFault, call: () => PromiseLike<T>): Promise<T> {
    if (fault.kind === 'StorageUnavailable' && !fault.midTransaction) {
      this.refused ??= createPool({ host: '127.0.0.1', port: await closedPort(), user: 'root', connectTimeout: 2_000 });
    }
    this.armed = fault;
    try {
      return await call();
    } finally {
      this.armed = null;
    }
  }

  async getConnection(): Promise<MysqlPoolConnection> {
    const fault = this.armed;
    // A server that refuses connections: the call fails before it starts, with the driver's real ECONNREFUSED.
    if (fault?.kind === 'StorageUnavailable' && !fault.midTransaction && this.refused !== null) return this.refused.getConnection();
    const connection: MysqlPoolConnection = await this.pool.getConnection();
    if (fault === null) return connection;
    let wrote = false;
    let fired = false;
    return {
      query: async (statement, values) => {
        const fire = !fired && (fault.midTransaction ? wrote : true);
        if (fire) {
          fired = true;
          return connection.query(SIGNALS[fault.kind]);
        }
        const result = await connection.query(statement, values);
        if (WRITE.test(statement)) wrote = true;
        return result;
      },
      release: () => connection.release(),
      destroy: () => connection.destroy(),
    };
  }

  async end(): Promise<void> {
    await this.refused?.end();
  }
}
