// A new image as an author supplies it, and the full record Glance's defaults make of it.
import type { Image, ImageStatus, ImageVisibility, MemberStatus } from './image.js';

/** What a caller supplies to create an image; everything else gets Glance's defaults. */
export interface NewImage {
  readonly id: string;
  readonly name?: string | null;
  readonly owner: string | null;
  readonly status?: ImageStatus;
  readonly visibility?: ImageVisibility;
  readonly protected?: boolean;
  readonly size?: number | null;
  readonly virtualSize?: number | null;
  readonly checksum?: string | null;
  readonly osHashAlgo?: string | null;
  readonly osHashValue?: string | null;
  readonly diskFormat?: string | null;
  readonly containerFormat?: string | null;
  readonly minDisk?: number;
  readonly minRam?: number;
  readonly tags?: readonly string[];
  readonly properties?: Readonly<Record<string, string>>;
  readonly members?: readonly { readonly memberId: string; readonly status?: MemberStatus }[];
  readonly locations?: readonly { readonly id?: string; readonly url: string; readonly metadata?: Readonly<Record<string, string>> }[];
}

/** Builds a full image record from a `NewImage`, applying Glance's defaults. */
export function newImageRecord(input: NewImage, now: Date): Image {
  return {
    id: input.id,
    name: input.name ?? null,
    owner: input.owner,
    status: input.status ?? 'queued',
    visibility: input.visibility ?? 'shared',
    protected: input.protected ?? false,
    size: input.size ?? null,
    virtualSize: input.virtualSize ?? null,
    checksum: input.checksum ?? null,
    osHashAlgo: input.osHashAlgo ?? null,
    osHashValue: input.osHashValue ?? null,
    diskFormat: input.diskFormat ?? null,
    containerFormat: input.containerFormat ?? null,
    minDisk: input.minDisk ?? 0,
    minRam: input.minRam ?? 0,
    tags: [...new Set(input.tags ?? [])],
    properties: { ...(input.properties ?? {}) },
    members: (input.members ?? []).map((m) => ({
      memberId: m.memberId,
      status: m.status ?? 'pending',
      createdAt: now,
      updatedAt: now,
    })),
    locations: (input.locations ?? []).map((l) => ({
      id: l.id ?? globalThis.crypto.randomUUID(),
      url: l.url,
      metadata: { ...(l.metadata ?? {}) },
      status: 'active' as const,
    })),
    createdAt: now,
    updatedAt: now,
    deleted: false,
    deletedAt: null,
  };
}
