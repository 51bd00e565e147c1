import { describe, expect, it } from 'vitest';
import { toDataStoreError } from './fs-errors.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('toDataStoreError', () => {
  it.each([
    ['EBUSY', 'DataStoreUnavailable'],
    ['EAGAIN', 'DataStoreUnavailable'],
    ['EMFILE', 'DataStoreUnavailable'],
    ['ENOSPC', 'DataStoreUnavailable'],
    ['EISDIR', 'DataStoreRejected'],
    ['ELOOP', 'DataStoreRejected'],
    ['EACCES', 'DataStoreFault'],
    ['EPERM', 'DataStoreFault'],
    ['EROFS', 'DataStoreFault'],
    ['EIO', 'DataStoreFault'],
  ])('maps %s to %s, naming the errno but no path', (code, kind) => {
    const error = toDataStoreError('delete', errno(code));
    expect(error.kind).toBe(kind);
    expect(error.message).toBe(`delete failed (${code})`);
  });

  it('maps an error without errno to DataStoreFault', () => {
    expect(toDataStoreError('write', new Error('boom'))).toMatchObject({ kind: 'DataStoreFault', message: 'write failed' });
  });
});
