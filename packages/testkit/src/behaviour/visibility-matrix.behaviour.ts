// The behaviour suite's visibility × policy matrix: every visibility against every kind of caller, for owned and owner-less images.
import type { DeleteImageFailure, Principal } from '@image-catalog/core';
import type { NewImage } from '@image-catalog/core/authoring';
import { describe, expect, it } from 'vitest';
import { expectOk } from '../expect-result.js';
import { adminPrincipal, projectMember, projectObserver, projectReader } from '../fixtures/principals.js';
import { createFixtureImage, findImage } from '../harness-helpers.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDeleteImageParts, OTHER, OWNER, type BehaviourPart } from './behaviour-suite.js';
import { DELETE_POLICY_MODES, type DeletePolicyMode } from './policy-modes.js';

type Expected = 'ok' | DeleteImageFailure['kind'];

type VisibilityCase = 'private' | 'shared (member)' | 'shared (non-member)' | 'public' | 'community';

const VISIBILITY_CASES: Record<VisibilityCase, Pick<NewImage, 'visibility' | 'members'>> = {
  private: { visibility: 'private', members: [] },
  'shared (member)': { visibility: 'shared', members: [{ memberId: OTHER }] },
  'shared (non-member)': { visibility: 'shared', members: [{ memberId: 'project-third' }] },
  public: { visibility: 'public', members: [] },
  community: { visibility: 'community', members: [] },
};

type PrincipalCase =
  'owner member' | 'owner reader' | 'owner observer' | 'other project member' | 'other project reader' | 'project-less member' | 'admin';

const PRINCIPALS: Record<PrincipalCase, () => Principal> = {
  'owner member': () => projectMember(OWNER),
  'owner reader': () => projectReader(OWNER),
  'owner observer': () => projectObserver(OWNER),
  'other project member': () => projectMember(OTHER),
  'other project reader': () => projectReader(OTHER),
  'project-less member': () => projectMember(null),
  admin: () => adminPrincipal(),
};

/** Expected outcome per visibility for a principal outside the owning project: 404 where invisible, else 403. */
const OUTSIDER: Record<VisibilityCase, Expected> = {
  private: 'ImageNotFound',
  'shared (member)': 'DeleteForbidden',
  'shared (non-member)': 'ImageNotFound',
  public: 'DeleteForbidden',
  community: 'DeleteForbidden',
};

const EXPECTED_FOR_OWNED: Record<
  Exclude<PrincipalCase, 'other project reader' | 'project-less member'>,
  Record<VisibilityCase, Expected>
> = {
  'owner member': { private: 'ok', 'shared (member)': 'ok', 'shared (non-member)': 'ok', public: 'ok', community: 'ok' },
  'owner reader': {
    private: 'DeleteForbidden',
    'shared (member)': 'DeleteForbidden',
    'shared (non-member)': 'DeleteForbidden',
    public: 'DeleteForbidden',
    community: 'DeleteForbidden',
  },
  'owner observer': {
    private: 'DeleteForbidden',
    'shared (member)': 'DeleteForbidden',
    'shared (non-member)': 'DeleteForbidden',
    public: 'DeleteForbidden',
    community: 'DeleteForbidden',
  },
  'other project member': OUTSIDER,
  admin: { private: 'ok', 'shared (member)': 'ok', 'shared (non-member)': 'ok', public: 'ok', community: 'ok' },
};

/** Without an owner nobody is "the owning project": only an admin may delete; others see 404 or 403 by visibility. */
const EXPECTED_FOR_OWNERLESS: Record<
  'other project member' | 'other project reader' | 'project-less member' | 'admin',
  Record<VisibilityCase, Expected>
> = {
  'other project member': OUTSIDER,
  'other project reader': OUTSIDER,
  'project-less member': { ...OUTSIDER, 'shared (member)': 'ImageNotFound' },
  admin: { private: 'ok', 'shared (member)': 'ok', 'shared (non-member)': 'ok', public: 'ok', community: 'ok' },
};

interface MatrixCell {
  readonly visibility: VisibilityCase;
  readonly principal: PrincipalCase;
  readonly expected: Expected;
}

function cells<P extends PrincipalCase>(table: Record<P, Record<VisibilityCase, Expected>>): MatrixCell[] {
  return (Object.entries(table) as [P, Record<VisibilityCase, Expected>][]).flatMap(([principal, row]) =>
    (Object.entries(row) as [VisibilityCase, Expected][]).map(([visibility, expected]) => ({ visibility, principal, expected })),
  );
}

/** `visibility × policy matrix (owned image)` and `(image without owner)`: who may delete, who gets 404, who gets 403. */
export const visibilityMatrixPart: BehaviourPart = ({ h, execute, expectRefused }) => {
  describe('visibility × policy matrix (owned image)', () => {
    it.each(cells(EXPECTED_FOR_OWNED))('$visibility image, $principal → $expected', async ({ visibility, principal, expected }) => {
      const image = await createFixtureImage(h(), VISIBILITY_CASES[visibility]);
      if (expected === 'ok') {
        expect((await expectOk(execute(image.id, PRINCIPALS[principal]()))).status).toBe('deleted');
        expect(await findImage(h(), image.id)).toMatchObject({ status: 'deleted', deleted: true });
      } else {
        await expectRefused(image, PRINCIPALS[principal](), expected);
      }
    });
  });

  describe('visibility × policy matrix (image without owner)', () => {
    it.each(cells(EXPECTED_FOR_OWNERLESS))('$visibility image, $principal → $expected', async ({ visibility, principal, expected }) => {
      const image = await createFixtureImage(h(), { owner: null, ...VISIBILITY_CASES[visibility] });
      if (expected === 'ok') {
        expect((await expectOk(execute(image.id, PRINCIPALS[principal]()))).status).toBe('deleted');
      } else {
        await expectRefused(image, PRINCIPALS[principal](), expected);
      }
    });
  });
};

/** Runs only the visibility × policy matrix part of the DeleteImage behaviour suite, once per policy mode. */
export function describeDeleteImageVisibilityMatrix(
  name: string,
  factory: StorageHarnessFactory,
  modes: readonly DeletePolicyMode[] = DELETE_POLICY_MODES,
): void {
  describeDeleteImageParts(name, factory, modes, [visibilityMatrixPart]);
}
