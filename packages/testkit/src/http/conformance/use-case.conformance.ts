// The HTTP conformance suite's use-case part: the use case's answers over HTTP (400, 404, 403 and 204).
import { describe, expect, it } from 'vitest';
import { DELETE_FORBIDDEN_MESSAGE, imageProtectedMessage } from '../../glance-messages.js';
import { expectJsonFault, REQUEST_ID_PATTERN } from '../fault-assertions.js';
import type { HttpConformanceFactory } from './conformance-target.js';
import { describeHttpConformanceParts, type ConformancePart } from './http-conformance-suite.js';

const DELETABLE = ['queued', 'saving', 'uploading', 'importing', 'active', 'killed', 'deactivated'] as const;

/** `6. id and the use case`: malformed and unknown ids, invisible, forbidden and protected images, 204 and what it carries. */
export const useCasePart: ConformancePart = (c) => {
  const { unknownId, request, expectDeleted, expectNotDeleted } = c;
  describe('6. id and the use case', () => {
    it('answers a malformed id with 400, without echoing it', async () => {
      const raw = 'definitely-not-a-uuid';
      const fault = await expectJsonFault(await request(raw, { token: c.target.tokens.ownerMember }), 400, 'badRequest', raw);
      expect(fault.message).not.toContain(raw);
    });

    it('answers an unknown id with 404', async () => {
      await expectJsonFault(await request(unknownId(), { token: c.target.tokens.admin }), 404, 'itemNotFound');
    });

    it('answers 404 for an image the caller cannot see, exactly as for an unknown one', async () => {
      const id = await c.target.createImage({ visibility: 'private' });
      await expectJsonFault(await request(id, { token: c.target.tokens.otherProject }), 404, 'itemNotFound');
      await expectNotDeleted(id);
    });

    it('answers 404 once an image is deleted, and for a pending_delete image', async () => {
      const id = await c.target.createImage({});
      expect((await request(id, { token: c.target.tokens.ownerMember })).status).toBe(204);
      await expectJsonFault(await request(id, { token: c.target.tokens.ownerMember }), 404, 'itemNotFound');
      const pending = await c.target.createImage({ status: 'pending_delete' });
      await expectJsonFault(await request(pending, { token: c.target.tokens.admin }), 404, 'itemNotFound');
    });

    it('answers 403 when the policy denies: a reader of the owner project', async () => {
      const id = await c.target.createImage({});
      const fault = await expectJsonFault(await request(id, { token: c.target.tokens.ownerReader }), 403, 'forbidden');
      expect(fault.message).toBe(DELETE_FORBIDDEN_MESSAGE);
      await expectNotDeleted(id);
    });

    it('answers 403 when the policy denies: another project on a public, community or shared image', async () => {
      for (const spec of [
        { visibility: 'public' },
        { visibility: 'community' },
        { visibility: 'shared', members: ['otherProject'] },
      ] as const) {
        const id = await c.target.createImage(spec);
        const fault = await expectJsonFault(await request(id, { token: c.target.tokens.otherProject }), 403, 'forbidden');
        expect(fault.message).toBe(DELETE_FORBIDDEN_MESSAGE);
        await expectNotDeleted(id);
      }
    });

    it('answers 403 for an image without owner unless the caller is an admin', async () => {
      const id = await c.target.createImage({ owner: null, visibility: 'public' });
      await expectJsonFault(await request(id, { token: c.target.tokens.ownerMember }), 403, 'forbidden');
      expect((await request(id, { token: c.target.tokens.admin })).status).toBe(204);
    });

    it('answers 403 for a protected image, to its owner and to an admin', async () => {
      const id = await c.target.createImage({ protected: true });
      for (const token of [c.target.tokens.ownerMember, c.target.tokens.admin]) {
        const fault = await expectJsonFault(await request(id, { token }), 403, 'forbidden');
        expect(fault.message).toBe(imageProtectedMessage(id));
      }
    });

    it('deletes with 204, no body and no Content-Type', async () => {
      const id = await c.target.createImage({});
      const res = await request(id, { token: c.target.tokens.ownerMember });
      expect(res.status).toBe(204);
      expect(res.headers.get('content-type')).toBeNull();
      expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
      expect(await res.text()).toBe('');
      await expectDeleted(id);
    });

    it("lets an admin delete another project's image", async () => {
      const id = await c.target.createImage({ owner: 'otherProject' });
      expect((await request(id, { token: c.target.tokens.admin })).status).toBe(204);
    });

    it.each(DELETABLE)('deletes an image in status %s', async (status) => {
      const id = await c.target.createImage({ status });
      expect((await request(id, { token: c.target.tokens.ownerMember })).status).toBe(204);
    });

    it('accepts the id in upper case (ids are case-insensitive)', async (ctx) => {
      const id = await c.target.createImage({});
      if (!/^[0-9a-f-]{36}$/i.test(id)) {
        ctx.skip();
        return;
      }
      expect((await request(id.toUpperCase(), { token: c.target.tokens.ownerMember })).status).toBe(204);
      await expectDeleted(id);
    });
  });
};

/** Runs only the use case part of the HTTP conformance suite, against its own target. */
export function describeHttpConformanceUseCase(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [useCasePart]);
}
