// The SQLite ImageCatalog (authoring): create, list and change live images, add members, record uploaded data.
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { Image, ImageMember, MemberStatus, StorageError } from '@image-catalog/core';
import {
  imageCountExceeded,
  imageSizeExceeded,
  listingViewer,
  newImageRecord,
  quotaProject,
  type CheckedImageListQuery,
  type CheckedImagePatch,
  type ImageDataRecord,
  type ImageQuotas,
  type NewImage,
  type QuotaExceeded,
  type UncheckedImageCatalog,
  type UnknownMarker,
} from '@image-catalog/core/authoring';
import { asDate, toImage, type ImageRow } from '@image-catalog/sql-kit';
import { liveWhere, SELECT_IMAGE } from './rows.js';
import { StoreInvariantError, type SqliteConnection, type Statement } from './sqlite-connection.js';

/**
 * Every write is conditional on the image being live, so none can resurrect a deleted image, and
 * is one BEGIN IMMEDIATE transaction, waiting for the lock on timers (see `SqliteConnection.transaction`).
 * The write lock BEGIN IMMEDIATE takes is also what makes a quota check and the write it allows
 * one step: no other connection or process writes between them. Input arrives checked
 * (`UncheckedImageCatalog`): the factory hands it out through `checkedImageCatalog`.
 */
export class SqliteImageCatalog implements UncheckedImageCatalog {
  readonly #c: SqliteConnection;
  readonly #s: Record<keyof typeof STATEMENTS, Statement>;
  readonly #quotas: ImageQuotas;
  readonly #createTx: (image: Image) => ResultAsync<Image | null | QuotaExceeded, StorageError>;
  readonly #updateTx: (imageId: string, patch: CheckedImagePatch, now: Date) => ResultAsync<Image | null, StorageError>;
  readonly #addMemberTx: (imageId: string, memberId: string, now: Date) => ResultAsync<ImageMember | null, StorageError>;
  readonly #attachTx: (imageId: string, data: ImageDataRecord, now: Date) => ResultAsync<Image | null | QuotaExceeded, StorageError>;

  /** `quotas` as checked by `validImageQuotas`. */
  constructor(connection: SqliteConnection, quotas: ImageQuotas = {}) {
    this.#c = connection;
    this.#s = connection.prepareAll(STATEMENTS);
    this.#quotas = quotas;
    this.#createTx = connection.transaction((image: Image) => this.#createInTx(image));
    this.#updateTx = connection.transaction((imageId: string, patch: CheckedImagePatch, now: Date) =>
      this.#updateInTx(imageId, patch, now),
    );
    this.#addMemberTx = connection.transaction((imageId: string, memberId: string, now: Date) =>
      this.#addMemberInTx(imageId, memberId, now),
    );
    this.#attachTx = connection.transaction((imageId: string, data: ImageDataRecord, now: Date) => this.#attachInTx(imageId, data, now));
  }

  createImage(input: NewImage, now: Date): ResultAsync<Image, StorageError | { readonly kind: 'Conflict' } | QuotaExceeded> {
    return this.#createTx(newImageRecord(input, now)).andThen((created) =>
      created === null ? errAsync({ kind: 'Conflict' } as const) : 'kind' in created ? errAsync(created) : okAsync(created),
    );
  }

  /** The image as stored (read back, so nothing returned aliases the input), `null` when the id is taken, or the owner's count quota. */
  #createInTx(image: Image): Image | null | QuotaExceeded {
    const s = this.#s;
    const project = quotaProject(this.#quotas, 'image_count_total', image.owner);
    if (project !== null) {
      const overQuota = imageCountExceeded(this.#quotas, project, s.countLiveOwned.pluck().get(project) as number);
      if (overQuota !== null) return overQuota;
    }
    const inserted = s.insertImage.run(
      image.id,
      image.name,
      image.owner,
      image.status,
      image.visibility,
      image.protected ? 1 : 0,
      image.size,
      image.virtualSize,
      image.checksum,
      image.osHashAlgo,
      image.osHashValue,
      image.diskFormat,
      image.containerFormat,
      image.minDisk,
      image.minRam,
      image.createdAt.getTime(),
      image.updatedAt.getTime(),
      image.deleted ? 1 : 0,
      image.deletedAt?.getTime() ?? null,
    );
    if (inserted.changes === 0) return null;
    Object.entries(image.properties).forEach(([name, value], i) => s.insertProperty.run(image.id, name, value, i));
    image.tags.forEach((tag, i) => s.insertTag.run(image.id, tag, i));
    image.members.forEach((m, i) => s.insertMember.run(image.id, m.memberId, m.status, i, m.createdAt.getTime(), m.updatedAt.getTime()));
    image.locations.forEach((l, i) => s.insertLocation.run(image.id, l.id, l.url, JSON.stringify(l.metadata), l.status, i));
    return this.#c.readImage(image.id);
  }

  /** One page in one read: the marker's place, then the images after it, filtered by the indexed visibility columns. */
  listImages(query: CheckedImageListQuery): ResultAsync<readonly Image[], StorageError | UnknownMarker> {
    const viewer = listingViewer(query.visibleTo);
    const visible = { all: viewer.all ? 1 : 0, project: viewer.project };
    return this.#c
      .read((): readonly Image[] | UnknownMarker => {
        let after = { created_at: Number.MIN_SAFE_INTEGER, seq: 0 };
        if (query.marker !== undefined) {
          const found = this.#s.markerPlace.get({ ...visible, marker: query.marker }) as typeof after | undefined;
          if (found === undefined) return { kind: 'UnknownMarker', marker: query.marker };
          after = found;
        }
        const params = { createdAt: after.created_at, seq: after.seq, limit: query.limit };
        const s = this.#s;
        const rows = (
          viewer.all
            ? query.name === undefined
              ? s.listLive.all(params)
              : s.listLiveByName.all({ ...params, name: query.name })
            : query.name === undefined
              ? s.listVisible.all({ ...params, project: viewer.project })
              : s.listVisibleByName.all({ ...params, project: viewer.project, name: query.name })
        ) as ImageRow[];
        return rows.map(toImage);
      })
      .andThen((page) => ('kind' in page ? errAsync(page) : okAsync(page)));
  }

  updateImage(imageId: string, patch: CheckedImagePatch, now: Date): ResultAsync<Image | null, StorageError> {
    return this.#updateTx(imageId, patch, now);
  }

  #updateInTx(imageId: string, patch: CheckedImagePatch, now: Date): Image | null {
    const changed = this.#s.updateImage.run({
      id: imageId,
      setName: patch.name !== undefined ? 1 : 0,
      name: patch.name ?? null,
      visibility: patch.visibility ?? null,
      protected: patch.protected === undefined ? null : patch.protected ? 1 : 0,
      status: patch.status ?? null,
      now: now.getTime(),
    });
    return changed.changes === 0 ? null : this.#c.readImage(imageId);
  }

  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError> {
    return this.#addMemberTx(imageId, memberId, now);
  }

  #addMemberInTx(imageId: string, memberId: string, now: Date): ImageMember | null {
    const s = this.#s;
    if (s.isLive.get(imageId) === undefined) return null;
    s.addMember.run({ imageId, memberId, now: now.getTime() });
    const row = s.selectMember.get(imageId, memberId) as
      { member_id: string; status: MemberStatus; created_at: number; updated_at: number } | undefined;
    if (row === undefined) throw new StoreInvariantError(`member ${memberId} of ${imageId} vanished`);
    return { memberId: row.member_id, status: row.status, createdAt: asDate(row.created_at), updatedAt: asDate(row.updated_at) };
  }

  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError | QuotaExceeded> {
    return this.#attachTx(imageId, data, now).andThen((attached) =>
      attached !== null && 'kind' in attached ? errAsync(attached) : okAsync(attached),
    );
  }

  #attachInTx(imageId: string, data: ImageDataRecord, now: Date): Image | null | QuotaExceeded {
    const s = this.#s;
    if (this.#quotas.imageSizeTotal !== undefined) {
      const found = s.liveOwner.get(imageId) as { owner: string | null } | undefined;
      if (found === undefined) return null;
      const project = quotaProject(this.#quotas, 'image_size_total', found.owner);
      if (project !== null) {
        const usage = s.sizeOfOthersOwned.pluck().get(project, imageId) as number;
        const overQuota = imageSizeExceeded(this.#quotas, project, usage, data.size);
        if (overQuota !== null) return overQuota;
      }
    }
    const changed = s.attachData.run({
      id: imageId,
      size: data.size,
      checksum: data.checksum,
      algo: data.osHashAlgo,
      value: data.osHashValue,
      now: now.getTime(),
    });
    if (changed.changes === 0) return null;
    s.addLocation.run({ imageId, id: this.#c.newId(), url: data.url, metadata: JSON.stringify(data.metadata ?? {}) });
    return this.#c.readImage(imageId);
  }
}

/** `isImageVisibleTo` in SQL: `:all` (no principal, or an admin), else by `:project` (owner, member of a shared image) or public/community. */
const VISIBLE = `(:all = 1 OR i.visibility IN ('public', 'community') OR i.owner = :project
  OR (i.visibility = 'shared' AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member_id = :project AND m.deleted = 0)))`;
/** After the marker's place in the listing order (created_at, then seq); written so the created_at index bounds the scan. */
const AFTER = '(i.created_at >= :createdAt AND (i.created_at > :createdAt OR i.seq > :seq))';

/**
 * One page of what project `:project` may see, without walking what it may not: the union of four
 * branches, each an index walk in listing order that stops after `:limit` rows — the project's own
 * images (images_live_by_owner), public ones and community ones (images_live_by_visibility, one
 * branch per value so each keeps the index order), and shared images it is a live member of
 * (image_members_by_member, then sorted: the work grows with the project's memberships, never with
 * the catalog). An image can be in two branches (an owner's public image): UNION keeps it once,
 * and the first `:limit` of the union are the page. With a name, the `_name` indexes of version 5
 * serve the first three branches the same way.
 */
export function listVisibleSql(byName: boolean): string {
  const named = byName ? ' AND i.name = :name' : '';
  const branch = (from: string, where: string, after = AFTER) =>
    `SELECT * FROM (SELECT i.seq, i.created_at FROM ${from} WHERE ${liveWhere('i')} AND ${where}${named} AND ${after}
       ORDER BY i.created_at, i.seq LIMIT :limit)`;
  // The shared branch goes from the project's memberships to each image by id: CROSS JOIN keeps
  // image_members the outer loop, and the unary + keeps visibility and created_at from choosing
  // an index of images instead of the id (ANALYZE statistics can make SQLite prefer one).
  const shared = branch(
    'image_members m CROSS JOIN images i ON i.id = m.image_id',
    "m.member_id = :project AND m.deleted = 0 AND +i.visibility = 'shared'",
    AFTER.replaceAll('i.created_at', '+i.created_at'),
  );
  return `${SELECT_IMAGE} WHERE i.seq IN (SELECT seq FROM (
    ${branch('images i', 'i.owner = :project')}
    UNION ${branch('images i', "i.visibility = 'public'")}
    UNION ${branch('images i', "i.visibility = 'community'")}
    UNION ${shared}
    ORDER BY created_at, seq LIMIT :limit))
  ORDER BY i.created_at, i.seq`;
}

const STATEMENTS = {
  isLive: `SELECT 1 FROM images i WHERE i.id = ? AND ${liveWhere('i')}`,
  liveOwner: `SELECT i.owner FROM images i WHERE i.id = ? AND ${liveWhere('i')}`,
  // Quota usage, through the partial index of a project's live images (images_live_by_owner).
  countLiveOwned: `SELECT count(*) FROM images i WHERE i.owner = ? AND ${liveWhere('i')}`,
  sizeOfOthersOwned: `SELECT coalesce(sum(i.size), 0) FROM images i WHERE i.owner = ? AND i.id <> ? AND ${liveWhere('i')}`,
  markerPlace: `SELECT i.created_at, i.seq FROM images i WHERE i.id = :marker AND ${liveWhere('i')} AND ${VISIBLE}`,
  // Every live image (no principal, or an admin): the created_at (or name) index walked in order, `limit` rows.
  listLive: `${SELECT_IMAGE} WHERE ${liveWhere('i')} AND ${AFTER} ORDER BY i.created_at, i.seq LIMIT :limit`,
  listLiveByName: `${SELECT_IMAGE} WHERE ${liveWhere('i')} AND i.name = :name AND ${AFTER} ORDER BY i.created_at, i.seq LIMIT :limit`,
  listVisible: listVisibleSql(false),
  listVisibleByName: listVisibleSql(true),
  insertImage: `INSERT INTO images (id, name, owner, status, visibility, protected, size, virtual_size, checksum, os_hash_algo, os_hash_value,
       disk_format, container_format, min_disk, min_ram, created_at, updated_at, deleted, deleted_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  insertProperty: 'INSERT INTO image_properties (image_id, name, value, position) VALUES (?, ?, ?, ?)',
  insertTag: 'INSERT INTO image_tags (image_id, value, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  insertMember:
    'INSERT INTO image_members (image_id, member_id, status, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  insertLocation: 'INSERT INTO image_locations (image_id, id, url, metadata, status, position) VALUES (?, ?, ?, ?, ?, ?)',
  updateImage: `UPDATE images SET name = CASE WHEN @setName THEN @name ELSE name END, visibility = coalesce(@visibility, visibility),
       protected = coalesce(@protected, protected), status = coalesce(@status, status), updated_at = @now
     WHERE id = @id AND ${liveWhere('images')}`,
  addMember: `INSERT INTO image_members (image_id, member_id, status, position, created_at, updated_at)
     VALUES (@imageId, @memberId, 'pending', (SELECT coalesce(max(position) + 1, 0) FROM image_members WHERE image_id = @imageId), @now, @now)
     ON CONFLICT DO NOTHING`,
  selectMember: 'SELECT member_id, status, created_at, updated_at FROM image_members WHERE image_id = ? AND member_id = ?',
  attachData: `UPDATE images SET size = @size, checksum = @checksum, os_hash_algo = @algo, os_hash_value = @value, status = 'active', updated_at = @now
     WHERE id = @id AND ${liveWhere('images')}`,
  addLocation: `INSERT INTO image_locations (image_id, id, url, metadata, status, position)
     VALUES (@imageId, @id, @url, @metadata, 'active', (SELECT coalesce(max(position) + 1, 0) FROM image_locations WHERE image_id = @imageId))`,
} as const;
