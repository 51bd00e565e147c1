// The error mapping at the adapter edge: which failures are "try again later" (503) and which are faults (500).
import { describe, expect, it } from 'vitest';
import { DeadlineExceededError } from './deadline-exceeded-error.js';
import { isRetryable, isUniqueViolation, toStorageError } from './storage-errors.js';
import { pgError } from './test-support/instrumented-pool.js';

const syscall = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });

describe('toStorageError', () => {
  it.each([
    ['57P01 admin shutdown', pgError('57P01')],
    ['57P02 crash shutdown', pgError('57P02')],
    ['57P03 cannot connect now', pgError('57P03')],
    ['53300 too many connections', pgError('53300')],
    ['53100 disk full', pgError('53100')],
    ['40001 serialization failure', pgError('40001')],
    ['40P01 deadlock', pgError('40P01')],
    ['55P03 lock not available', pgError('55P03')],
    ['57014 statement timeout', pgError('57014')],
    ['25006 read-only transaction (failed over to a standby)', pgError('25006')],
    ['08006 connection failure', pgError('08006')],
    ['08001 unable to connect', pgError('08001')],
    ['ECONNREFUSED', syscall('ECONNREFUSED')],
    ['ECONNRESET', syscall('ECONNRESET')],
    ['ETIMEDOUT', syscall('ETIMEDOUT')],
    ['ENOTFOUND', syscall('ENOTFOUND')],
    ['EPIPE', syscall('EPIPE')],
    ['pool checkout timeout', new Error('timeout exceeded when trying to connect')],
    ['connection terminated', new Error('Connection terminated unexpectedly')],
    ['connection timeout', new Error('Connection terminated due to connection timeout')],
    ['client-side query timeout', new Error('Query read timeout')],
    ['dead client', new Error('Client has encountered a connection error and is not queryable')],
    ['ended pool', new Error('Cannot use a pool after calling end on the pool')],
    ['localhost on two addresses, both refused', new AggregateError([syscall('ECONNREFUSED'), syscall('ECONNREFUSED')], 'connect failed')],
    ['wrapped cause', Object.assign(new Error('outer'), { cause: syscall('ECONNRESET') })],
    ["the adapter's own pool-wait or answer deadline", new DeadlineExceededError('connection from the pool', 5000)],
  ])('%s → StorageUnavailable with Retry-After', (_label, cause) => {
    const error = toStorageError(cause, 9);
    expect(error).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 9 });
    expect(error.cause).toBe(cause);
  });

  it.each([
    ['23505 unique violation', pgError('23505')],
    ['23503 foreign key violation', pgError('23503')],
    ['42P01 undefined table (schema not migrated)', pgError('42P01')],
    ['42703 undefined column', pgError('42703')],
    ['22P02 invalid text representation', pgError('22P02')],
    ['XX000 internal error', pgError('XX000')],
    ['a TypeError (a bug)', new TypeError('x is undefined')],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['null', null],
  ])('%s → StorageFault', (_label, cause) => {
    expect(toStorageError(cause).kind).toBe('StorageFault');
  });

  it('messages never carry SQL or the cause', () => {
    const error = toStorageError(pgError('42P01', 'relation "image_catalog.images" does not exist'));
    expect(error.message).not.toMatch(/relation|images|SELECT/);
  });
});

describe('isRetryable and isUniqueViolation', () => {
  it('only serialization failures and deadlocks are rerun', () => {
    expect(isRetryable(pgError('40001'))).toBe(true);
    expect(isRetryable(pgError('40P01'))).toBe(true);
    expect(isRetryable(pgError('55P03'))).toBe(false);
    expect(isRetryable(syscall('ECONNRESET'))).toBe(false);
  });

  it('a unique violation counts as "id taken" only on the named constraint', () => {
    const violation = Object.assign(pgError('23505'), { constraint: 'images_pkey' });
    expect(isUniqueViolation(violation, 'images_pkey')).toBe(true);
    expect(isUniqueViolation(violation, 'outbox_events_pkey')).toBe(false);
    expect(isUniqueViolation(pgError('23503'), 'images_pkey')).toBe(false);
  });
});
