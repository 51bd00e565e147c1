// Who owns a new image: admins choose freely, non-admins get their own project, and project-less non-admins are refused.
import { describe, expect, it } from 'vitest';
import type { Principal } from '../image/principal.js';
import { adminPrincipal, projectMember, projectReader } from '../test-support/principals.js';
import { ownerForNewImage } from './owner-for-new-image.js';

const adminWithoutProject: Principal = { userId: 'root', projectId: null, roles: ['Admin'] };

describe('ownerForNewImage', () => {
  it('an admin may set any owner, or none; without a request the image is its own project', () => {
    expect(ownerForNewImage(adminPrincipal(), 'other-project')._unsafeUnwrap()).toBe('other-project');
    expect(ownerForNewImage(adminPrincipal(), null)._unsafeUnwrap()).toBeNull();
    expect(ownerForNewImage(adminPrincipal(), undefined)._unsafeUnwrap()).toBe('admin-project');
  });

  it('an admin without a project creates an ownerless image unless it names an owner (role names are case-insensitive)', () => {
    expect(ownerForNewImage(adminWithoutProject, undefined)._unsafeUnwrap()).toBeNull();
    expect(ownerForNewImage(adminWithoutProject, 'p1')._unsafeUnwrap()).toBe('p1');
  });

  it.each([
    ['member', projectMember('p1')],
    ['reader', projectReader('p1')],
  ])('a %s gets its own project, whether it asks for it or not', (_role, principal) => {
    expect(ownerForNewImage(principal, undefined)._unsafeUnwrap()).toBe('p1');
    expect(ownerForNewImage(principal, 'p1')._unsafeUnwrap()).toBe('p1');
  });

  it('a non-admin may not give the image to another project, nor make it ownerless', () => {
    for (const requested of ['p2', null, '']) {
      const failure = ownerForNewImage(projectMember('p1'), requested)._unsafeUnwrapErr();
      expect(failure).toEqual({ kind: 'OwnerNotPermitted', message: 'You are not permitted to create images owned by another project.' });
    }
  });

  it('a non-admin without a project is refused, whatever it asks for: it would create an image it can neither see nor delete', () => {
    for (const requested of [undefined, null, 'p1']) {
      const failure = ownerForNewImage(projectMember(null), requested)._unsafeUnwrapErr();
      expect(failure.kind).toBe('ProjectRequired');
      expect(failure.message).toMatch(/without a project/);
    }
  });
});
