// The HTTP conformance suite against the example service as it runs: startService, SQLite and files in a temp folder.
import {
  CONFORMANCE_PRINCIPALS,
  CONFORMANCE_PROJECTS,
  CONFORMANCE_TOKENS,
  createConformanceImage,
  describeHttpConformance,
  type ConformanceProject,
  type HttpConformanceImageSpec,
} from '@image-catalog/testkit';
import { createImageOverHttp, startInProcessService } from './test-support/in-process-service.js';

/** Generous enough that only the suite's rate-limit test reaches it; every project has its own window. */
const RATE_LIMIT = 400;

const PROJECT_IDS: Readonly<Record<ConformanceProject, string>> = {
  ownerProject: CONFORMANCE_PROJECTS.owner,
  otherProject: CONFORMANCE_PROJECTS.other,
};

describeHttpConformance('example service (startService, SQLite, file store)', async () => {
  const running = await startInProcessService({
    tokens: CONFORMANCE_PRINCIPALS,
    env: { IMAGE_CATALOG_RATE_LIMIT: `${RATE_LIMIT}/3600`, IMAGE_CATALOG_RATE_LIMIT_STATUS: '413' },
  });
  const { api, catalog } = running;

  /** Creates the image through the service's own API, as a client would; only states no API reaches go to the catalog. */
  async function createImage(spec: HttpConformanceImageSpec): Promise<string> {
    if (spec.status === 'pending_delete' || spec.status === 'deleted') {
      // Only a delayed delete reaches these states; this service runs in immediate mode.
      return createConformanceImage(catalog, spec);
    }
    const owner = spec.owner === undefined ? 'ownerProject' : spec.owner;
    const visibility = spec.visibility ?? 'private';
    // The owner project's member creates its own images; an admin creates public, other-project and ownerless ones.
    const byOwner = owner === 'ownerProject' && visibility !== 'public';
    const image = await createImageOverHttp(api, byOwner ? CONFORMANCE_TOKENS.ownerMember : CONFORMANCE_TOKENS.admin, {
      name: 'conformance',
      visibility,
      protected: spec.protected ?? false,
      ...(byOwner ? {} : { owner: owner === null ? null : PROJECT_IDS[owner] }),
    });
    for (const member of spec.members ?? []) {
      const res = await fetch(`${api}/images/${image.id}/members`, {
        method: 'POST',
        headers: { 'X-Auth-Token': CONFORMANCE_TOKENS.admin, 'Content-Type': 'application/json' },
        body: JSON.stringify({ member: PROJECT_IDS[member] }),
      });
      if (res.status !== 200) throw new Error(`adding member answered ${res.status}: ${await res.text()}`);
    }
    if (spec.status !== undefined && spec.status !== 'queued') {
      const updated = await catalog.updateImage(image.id, { status: spec.status }, new Date());
      if (updated.isErr() || updated.value === null) throw new Error(`could not put image ${image.id} in status ${spec.status}`);
    }
    return image.id;
  }

  return {
    baseUrl: api,
    tokens: CONFORMANCE_TOKENS,
    rateLimited: { token: CONFORMANCE_TOKENS.rateLimited, limit: RATE_LIMIT, status: 413 },
    hostMethods: ['GET', 'PATCH'],
    createImage,
    close: () => running.close(),
  };
});
