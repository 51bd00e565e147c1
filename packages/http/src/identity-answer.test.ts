// What a host's identity function may answer: the three kinds pass, anything else is a defect named in the error.
import { describe, expect, it } from 'vitest';
import { checkIdentity } from './identity-answer.js';
import { authenticated, identityUnavailable, unauthenticated } from './identity.port.js';

describe('checkIdentity', () => {
  it('passes the three kinds through unchanged', () => {
    const principal = { userId: 'u', projectId: null, roles: [] };
    for (const answer of [
      authenticated(principal),
      unauthenticated(),
      identityUnavailable(),
      identityUnavailable({ retryAfterSeconds: 3, cause: new Error('x') }),
    ]) {
      expect(checkIdentity(answer)).toBe(answer);
    }
  });

  it.each([
    [undefined, /answered undefined/],
    [null, /answered null/],
    ['Authenticated', /answered Authenticated; expected/],
    [{ userId: 'u' }, /an object without kind/],
    [{ kind: 'authenticated' }, /kind "authenticated"/],
    [{ kind: 'Authenticated' }, /with no principal/],
    [{ kind: 'Authenticated', principal: { userId: '', projectId: null, roles: [] } }, /userId/],
    [{ kind: 'Authenticated', principal: { userId: 'u', projectId: 7, roles: [] } }, /projectId/],
    [{ kind: 'Authenticated', principal: { userId: 'u', projectId: 'p' } }, /roles/],
    [{ kind: 'Authenticated', principal: { userId: 'u', projectId: 'p', roles: [1] } }, /roles/],
  ])('refuses %j with a TypeError naming the mistake', (answer, message) => {
    expect(() => checkIdentity(answer)).toThrow(TypeError);
    expect(() => checkIdentity(answer)).toThrow(message);
  });
});
