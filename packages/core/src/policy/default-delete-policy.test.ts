import { describe, expect, it } from 'vitest';
import { newImageRecord } from '../image/new-image.js';
import type { Principal } from '../image/principal.js';
import { defaultCanDelete, defaultDeletePolicy } from './default-delete-policy.js';

const now = new Date('2026-01-01T00:00:00Z');
const owned = newImageRecord({ id: '6f1c6e3a-2b1d-4c5e-9f00-abcdef012345', owner: 'p1' }, now);
const ownerless = newImageRecord({ id: '6f1c6e3a-2b1d-4c5e-9f00-abcdef012346', owner: null }, now);
const who = (projectId: string | null, ...roles: string[]): Principal => ({ userId: 'u', projectId, roles });

describe('default delete policy (role:admin or (role:member and project_id:%(owner)s))', () => {
  it.each<[string, Principal, boolean]>([
    ['member of the owning project', who('p1', 'member'), true],
    ['MEMBER (case-insensitive) of the owning project', who('p1', 'MEMBER'), true],
    ['reader of the owning project', who('p1', 'reader'), false],
    ['observer of the owning project', who('p1', 'observer'), false],
    ['member of another project', who('p2', 'member'), false],
    ['admin of another project', who('p2', 'admin'), true],
  ])('%s → %s', (_label, principal, expected) => {
    expect(defaultCanDelete(principal, owned)).toBe(expected);
  });

  it('lets only an admin delete an image without owner', () => {
    expect(defaultCanDelete(who(null, 'member'), ownerless)).toBe(false);
    expect(defaultCanDelete(who('p1', 'member'), ownerless)).toBe(false);
    expect(defaultCanDelete(who(null, 'admin'), ownerless)).toBe(true);
  });

  it('answers through the async port', async () => {
    const decision = await defaultDeletePolicy.canDelete(who('p1', 'member'), owned);
    expect(decision._unsafeUnwrap()).toBe(true);
  });
});
