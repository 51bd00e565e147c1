import { describe, expect, it } from 'vitest';
import type { Image, ImageVisibility } from './image.js';
import { newImageRecord } from './new-image.js';
import type { Principal } from './principal.js';
import { isImageVisibleTo } from './visibility.js';

const now = new Date('2026-01-01T00:00:00Z');
const image = (visibility: ImageVisibility, extra: Partial<Image> = {}): Image => ({
  ...newImageRecord(
    { id: '6f1c6e3a-2b1d-4c5e-9f00-abcdef012345', owner: 'p-owner', visibility, members: [{ memberId: 'p-member', status: 'rejected' }] },
    now,
  ),
  ...extra,
});
const who = (projectId: string | null, ...roles: string[]): Principal => ({ userId: 'u', projectId, roles });

describe('isImageVisibleTo', () => {
  const owner = who('p-owner', 'reader');
  const member = who('p-member', 'member');
  const stranger = who('p-other', 'member');
  const admin = who('p-other', 'Admin');

  it.each<[ImageVisibility, Principal, boolean, string]>([
    ['private', owner, true, 'owner'],
    ['private', member, false, 'member project'],
    ['private', stranger, false, 'stranger'],
    ['private', admin, true, 'admin (role names are case-insensitive)'],
    ['shared', owner, true, 'owner'],
    ['shared', member, true, 'member project, whatever its member status'],
    ['shared', stranger, false, 'stranger'],
    ['public', stranger, true, 'stranger'],
    ['community', stranger, true, 'stranger'],
  ])('%s image, %#: visible=%s for %s', (visibility, principal, expected) => {
    expect(isImageVisibleTo(image(visibility), principal)).toBe(expected);
  });

  it('hides deleted and pending_delete images even from admins', () => {
    expect(isImageVisibleTo(image('public', { status: 'deleted', deleted: true }), admin)).toBe(false);
    expect(isImageVisibleTo(image('public', { status: 'pending_delete', deleted: true }), admin)).toBe(false);
  });

  it('does not treat a project-less caller as the owner of an owner-less image', () => {
    expect(isImageVisibleTo(image('private', { owner: null }), who(null, 'member'))).toBe(false);
    expect(isImageVisibleTo(image('shared', { owner: null, members: [] }), who(null, 'member'))).toBe(false);
  });
});
