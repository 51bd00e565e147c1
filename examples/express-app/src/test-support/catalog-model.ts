// A small reference model of the example service's rules (behaviour.md §2, §3, §6, §11): what each fixture write, GET, DELETE and restore should answer.
import type { ImageStatus, ImageVisibility } from '@image-catalog/core';

/** A caller as the model sees it: its project, and whether it is an admin or has the `member` role. */
export interface ModelPrincipal {
  readonly projectId: string;
  readonly admin: boolean;
  readonly member: boolean;
}

/** One image as the model expects the catalog to hold it. */
export interface ModelImage {
  readonly id: string;
  readonly owner: string;
  status: ImageStatus;
  visibility: ImageVisibility;
  protected: boolean;
  name: string;
  readonly members: Set<string>;
  /** An upload stored data (one location) for it. */
  hasData: boolean;
}

/** A command of a generated sequence; `slot` picks one of the images the run created (the test decides how), or a never-created id. */
export type ModelCommand<P extends string> =
  | { readonly kind: 'create'; readonly by: P; readonly visibility: ImageVisibility | undefined; readonly protected: boolean }
  | { readonly kind: 'upload'; readonly by: P; readonly slot: number }
  | { readonly kind: 'patch'; readonly by: P; readonly slot: number; readonly field: 'protected'; readonly value: boolean }
  | { readonly kind: 'patch'; readonly by: P; readonly slot: number; readonly field: 'visibility'; readonly value: ImageVisibility }
  | { readonly kind: 'patch'; readonly by: P; readonly slot: number; readonly field: 'name'; readonly value: string }
  | { readonly kind: 'addMember'; readonly by: P; readonly slot: number; readonly member: string }
  | { readonly kind: 'deactivate'; readonly by: P; readonly slot: number }
  | { readonly kind: 'delete'; readonly by: P; readonly slot: number }
  | { readonly kind: 'restore'; readonly by: P; readonly slot: number }
  | { readonly kind: 'get'; readonly by: P; readonly slot: number };

/** What a restore answers: `ok` or the failure kind of behaviour.md §6. */
export type RestoreAnswer = 'ok' | 'RestoreForbidden' | 'ImageNotFound' | 'ImageNotPendingDelete';

const isLive = (image: ModelImage) => image.status !== 'deleted' && image.status !== 'pending_delete';

/** The rules, applied to the images one run created; every method answers the expected status and changes the model as the service should. */
export class CatalogModel {
  readonly images: ModelImage[] = [];
  /** Committed deletes per image id (one `image.delete` event each). */
  readonly deletes = new Map<string, number>();

  constructor(private readonly delayed: boolean) {}

  /** §3: live, and admin, owner, public/community, or a member project of a shared image. */
  visible(image: ModelImage | undefined, p: ModelPrincipal): boolean {
    if (image === undefined || !isLive(image)) return false;
    if (p.admin || image.owner === p.projectId) return true;
    if (image.visibility === 'public' || image.visibility === 'community') return true;
    return image.visibility === 'shared' && image.members.has(p.projectId);
  }

  /** write-policy.ts: admin, or the member role in the owning project. */
  private mayWrite(image: Pick<ModelImage, 'owner'>, p: ModelPrincipal): boolean {
    return p.admin || (p.member && image.owner === p.projectId);
  }

  create(p: ModelPrincipal, id: string, name: string, visibility: ImageVisibility | undefined, isProtected: boolean): number {
    if (!this.mayWrite({ owner: p.projectId }, p)) return 403;
    if (visibility === 'public' && !p.admin) return 403;
    this.images.push({
      id,
      owner: p.projectId,
      status: 'queued',
      visibility: visibility ?? 'shared',
      protected: isProtected,
      name,
      members: new Set(),
      hasData: false,
    });
    return 201;
  }

  upload(image: ModelImage | undefined, p: ModelPrincipal): number {
    if (image === undefined || !this.visible(image, p)) return 404;
    if (!this.mayWrite(image, p)) return 403;
    if (image.status !== 'queued') return 409;
    image.status = 'active';
    image.hasData = true;
    return 204;
  }

  patch(image: ModelImage | undefined, p: ModelPrincipal, field: 'protected' | 'visibility' | 'name', value: unknown): number {
    if (image === undefined || !this.visible(image, p)) return 404;
    if (!this.mayWrite(image, p)) return 403;
    if (field === 'visibility' && value === 'public' && !p.admin) return 403;
    if (field === 'protected') image.protected = value as boolean;
    else if (field === 'visibility') image.visibility = value as ImageVisibility;
    else image.name = value as string;
    return 200;
  }

  addMember(image: ModelImage | undefined, p: ModelPrincipal, member: string): number {
    if (image === undefined || !this.visible(image, p)) return 404;
    if (!this.mayWrite(image, p)) return 403;
    if (image.visibility !== 'shared') return 403;
    image.members.add(member);
    return 200;
  }

  deactivate(image: ModelImage | undefined, p: ModelPrincipal): number {
    if (image === undefined || !this.visible(image, p)) return 404;
    if (!p.admin) return 403;
    if (image.status === 'deactivated') return 204;
    if (image.status !== 'active') return 400;
    image.status = 'deactivated';
    return 204;
  }

  /** §2: 404 unless live and visible, 403 by the delete policy, 403 when protected; delayed mode keeps an image with data `pending_delete`. */
  delete(image: ModelImage | undefined, p: ModelPrincipal): number {
    if (image === undefined || !this.visible(image, p)) return 404;
    if (!this.mayWrite(image, p)) return 403;
    if (image.protected) return 403;
    image.status = this.delayed && image.hasData ? 'pending_delete' : 'deleted';
    this.deletes.set(image.id, (this.deletes.get(image.id) ?? 0) + 1);
    return 204;
  }

  /** §6: admin only (asked first), then a `pending_delete` image becomes `active` again. */
  restore(image: ModelImage | undefined, p: ModelPrincipal): RestoreAnswer {
    if (!p.admin) return 'RestoreForbidden';
    if (image === undefined || image.status === 'deleted') return 'ImageNotFound';
    if (image.status !== 'pending_delete') return 'ImageNotPendingDelete';
    image.status = 'active';
    return 'ok';
  }

  get(image: ModelImage | undefined, p: ModelPrincipal): number {
    return this.visible(image, p) ? 200 : 404;
  }
}
