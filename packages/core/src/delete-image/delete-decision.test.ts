// decideDeletion: DESIGN §3's checks in order on the image as read inside the store's transaction.
import { describe, expect, it } from 'vitest';
import { DELETABLE_STATUSES, type Image } from '../image/image.js';
import { newImageRecord } from '../image/new-image.js';
import type { Principal } from '../image/principal.js';
import { adminPrincipal, projectMember } from '../test-support/principals.js';
import { TEST_EPOCH } from '../test-support/test-clock.js';
import { decideDeletion, type DeleteDecisionInputs } from './delete-decision.js';
import { planDeletion, type DeletionPlanSettings } from './deletion-plan.js';

const NOW = new Date(TEST_EPOCH.getTime() + 60_000);

function planSettings(): DeletionPlanSettings {
  let n = 0;
  return { now: NOW, delayed: false, jobsDueAt: NOW, eventId: 'event-1', newJobId: () => `job-${++n}` };
}

function image(overrides: Partial<Image> = {}): Image {
  return {
    ...newImageRecord(
      { id: 'image-1', owner: 'p1', status: 'active', visibility: 'private', locations: [{ id: 'loc-1', url: 'file:///1' }] },
      TEST_EPOCH,
    ),
    ...overrides,
  };
}

/** Inputs whose policy answers `verdict` and records every image it was asked about. */
function inputs(principal: Principal, verdict = true) {
  const asked: Image[] = [];
  const given: DeleteDecisionInputs = {
    principal,
    mayDelete: (seen) => {
      asked.push(seen);
      return verdict;
    },
    plan: planSettings(),
  };
  return { given, asked };
}

describe('decideDeletion', () => {
  it('deletes a live, visible, unprotected image the policy allows, with the plan planDeletion makes', () => {
    const { given } = inputs(projectMember('p1'));
    expect(decideDeletion(image(), given)).toEqual({ kind: 'Delete', plan: planDeletion(image(), planSettings()) });
  });

  it.each(DELETABLE_STATUSES)('deletes an image in status %s', (status) => {
    expect(decideDeletion(image({ status }), inputs(projectMember('p1')).given).kind).toBe('Delete');
  });

  it('answers NotFound for an unknown id, a deleted and a pending_delete image, without asking the policy', () => {
    const { given, asked } = inputs(adminPrincipal());
    expect(decideDeletion(null, given)).toEqual({ kind: 'NotFound' });
    expect(decideDeletion(image({ status: 'deleted', deleted: true, deletedAt: TEST_EPOCH }), given)).toEqual({ kind: 'NotFound' });
    expect(decideDeletion(image({ status: 'pending_delete', deleted: true, deletedAt: TEST_EPOCH }), given)).toEqual({ kind: 'NotFound' });
    expect(asked).toEqual([]);
  });

  it('answers NotFound for an image the caller cannot see, even a protected one the policy would refuse', () => {
    const { given, asked } = inputs(projectMember('p2'), false);
    expect(decideDeletion(image({ protected: true }), given)).toEqual({ kind: 'NotFound' });
    expect(asked).toEqual([]);
  });

  it('answers Forbidden when the policy denies a visible image, before looking at protected', () => {
    const { given, asked } = inputs(projectMember('p2'), false);
    const visible = image({ visibility: 'public', protected: true });
    expect(decideDeletion(visible, given)).toEqual({ kind: 'Forbidden' });
    expect(asked).toEqual([visible]);
  });

  it('answers Protected for an allowed, protected image', () => {
    expect(decideDeletion(image({ protected: true }), inputs(projectMember('p1')).given)).toEqual({ kind: 'Protected' });
  });
});
