// Ready-made callers and images for running the HTTP conformance suite against an in-process service.
import type { ImageStatus, ImageVisibility, Principal } from '@image-catalog/core';
import type { NewImage } from '@image-catalog/core/authoring';

/** The projects the suite reasons about. */
export const CONFORMANCE_PROJECTS = {
  admin: 'conformance-admin-project',
  owner: 'conformance-owner-project',
  other: 'conformance-other-project',
  limited: 'conformance-limited-project',
} as const;

/** Tokens for the principals below (long enough for any token policy). */
export const CONFORMANCE_TOKENS = {
  admin: 'conformance-admin-token-0001',
  ownerMember: 'conformance-owner-member-token-0002',
  ownerReader: 'conformance-owner-reader-token-0003',
  otherProject: 'conformance-other-project-token-0004',
  rateLimited: 'conformance-rate-limited-token-0005',
} as const;

/** Token → principal, for a static-token authenticator. */
export const CONFORMANCE_PRINCIPALS: Readonly<Record<string, Principal>> = {
  [CONFORMANCE_TOKENS.admin]: { userId: 'conformance-admin', projectId: CONFORMANCE_PROJECTS.admin, roles: ['admin', 'member', 'reader'] },
  [CONFORMANCE_TOKENS.ownerMember]: { userId: 'conformance-alice', projectId: CONFORMANCE_PROJECTS.owner, roles: ['member', 'reader'] },
  [CONFORMANCE_TOKENS.ownerReader]: { userId: 'conformance-bob', projectId: CONFORMANCE_PROJECTS.owner, roles: ['reader'] },
  [CONFORMANCE_TOKENS.otherProject]: { userId: 'conformance-carol', projectId: CONFORMANCE_PROJECTS.other, roles: ['member', 'reader'] },
  [CONFORMANCE_TOKENS.rateLimited]: { userId: 'conformance-dave', projectId: CONFORMANCE_PROJECTS.limited, roles: ['member', 'reader'] },
};

/** The projects of an image spec, named by role so a deployment maps them to its own ids. */
export type ConformanceProject = 'ownerProject' | 'otherProject';

/** What the suite asks a deployment to create. Defaults: owned by the owner project, private. */
export interface HttpConformanceImageSpec {
  /** `null`: an image without owner (only an admin may delete it). */
  readonly owner?: ConformanceProject | null;
  readonly visibility?: ImageVisibility;
  readonly protected?: boolean;
  readonly status?: ImageStatus;
  readonly members?: readonly ConformanceProject[];
}

const PROJECT_IDS: Readonly<Record<ConformanceProject, string>> = {
  ownerProject: CONFORMANCE_PROJECTS.owner,
  otherProject: CONFORMANCE_PROJECTS.other,
};

/** The `NewImage` for a spec, with the projects of {@link CONFORMANCE_PRINCIPALS}. */
export function conformanceNewImage(spec: HttpConformanceImageSpec, id: string = globalThis.crypto.randomUUID()): NewImage {
  return {
    id,
    name: `conformance-${id.slice(0, 8)}`,
    owner: spec.owner === null ? null : PROJECT_IDS[spec.owner ?? 'ownerProject'],
    visibility: spec.visibility ?? 'private',
    protected: spec.protected ?? false,
    ...(spec.status !== undefined ? { status: spec.status } : {}),
    members: (spec.members ?? []).map((m) => ({ memberId: PROJECT_IDS[m], status: 'accepted' as const })),
  };
}
