// ImageCatalog (authoring) over MariaDB: create, list, update, add a member, attach data; every write conditional on the image being live.
import { isLive, type Image, type ImageMember, type MemberStatus, type StorageError } from '@image-catalog/core';
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
import { asDate } from '@image-catalog/sql-kit';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { selectImage, selectLiveImages } from './image-query.js';
import type { MysqlConnection, Sql } from './mysql-connection.js';

const ER_DUP_ENTRY = 1062;
/** An image row is live: core's `isLive`. */
const LIVE = "deleted = FALSE AND status NOT IN ('deleted', 'pending_delete')";
type Conflict = { readonly kind: 'Conflict' };

const isDuplicateKey = (cause: unknown) =>
  typeof cause === 'object' && cause !== null && (cause as { errno?: unknown }).errno === ER_DUP_ENTRY;

/** Locks the image row if it is live; `false` when it is unknown, deleted or pending delete. */
async function lockLive(sql: Sql, imageId: string): Promise<boolean> {
  return (await sql.rows(`SELECT seq FROM images WHERE id = ? AND ${LIVE} FOR UPDATE`, [imageId])).length === 1;
}

/** The next `position` of a child table for an image (the caller holds the image lock). */
async function nextPosition(sql: Sql, table: 'image_members' | 'image_locations', imageId: string): Promise<number> {
  const [row] = await sql.rows<{ next: number }>(`SELECT COALESCE(MAX(position) + 1, 0) AS next FROM ${table} WHERE image_id = ?`, [
    imageId,
  ]);
  return row?.next ?? 0;
}

/**
 * Waits for, and holds until the transaction ends, the lock on `project`'s row of
 * `project_quota_locks` (inserted the first time): the one point where the quota checks of a
 * project queue. On a duplicate key InnoDB takes the row's exclusive lock at once (no shared lock
 * to upgrade), so waiters queue without deadlocking each other.
 */
async function lockProjectQuota(sql: Sql, project: string): Promise<void> {
  await sql.run('INSERT INTO project_quota_locks (project) VALUES (?) ON DUPLICATE KEY UPDATE project = project', [project]);
}

/**
 * Quotas: a write a quota limits first takes its project's lock row (`lockProjectQuota`), before
 * any image row, then reads the usage. At READ COMMITTED that read sees everything the previous
 * holder committed. Deletes never take the lock row, so it adds no lock cycle.
 *
 * Input arrives checked (`UncheckedImageCatalog`): the factory hands it out through `checkedImageCatalog`.
 */
export class MysqlImageCatalog implements UncheckedImageCatalog {
  /** `quotas` as checked by `validImageQuotas`. */
  constructor(
    private readonly db: MysqlConnection,
    private readonly quotas: ImageQuotas = {},
  ) {}

  /** Inserts the image and its children in one transaction; answers the image as stored. */
  createImage(input: NewImage, now: Date): ResultAsync<Image, StorageError | Conflict | QuotaExceeded> {
    return this.db
      .transaction(async (sql): Promise<Image | Conflict | QuotaExceeded> => {
        const image = newImageRecord(input, now);
        const at = now.getTime();
        const project = quotaProject(this.quotas, 'image_count_total', image.owner);
        if (project !== null) {
          await lockProjectQuota(sql, project);
          const [counted] = await sql.rows<{ n: number | string }>(`SELECT COUNT(*) AS n FROM images WHERE owner = ? AND ${LIVE}`, [
            project,
          ]);
          const overQuota = imageCountExceeded(this.quotas, project, Number(counted?.n ?? 0));
          if (overQuota !== null) return overQuota;
        }
        try {
          await sql.run(
            `INSERT INTO images (id, name, owner, status, visibility, protected, size, virtual_size, checksum, os_hash_algo, os_hash_value,
               disk_format, container_format, min_disk, min_ram, created_at, updated_at) VALUES (?)`,
            [
              [
                image.id,
                image.name,
                image.owner,
                image.status,
                image.visibility,
                image.protected,
                image.size,
                image.virtualSize,
                image.checksum,
                image.osHashAlgo,
                image.osHashValue,
                image.diskFormat,
                image.containerFormat,
                image.minDisk,
                image.minRam,
                at,
                at,
              ],
            ],
          );
        } catch (cause) {
          // Nothing was written yet: committing the empty transaction is the same as rolling back.
          if (isDuplicateKey(cause)) return { kind: 'Conflict' };
          throw cause;
        }
        const children: [table: string, rows: unknown[][]][] = [
          [
            'image_properties (image_id, name, value, position)',
            Object.entries(image.properties).map(([name, value], i) => [image.id, name, value, i]),
          ],
          ['image_tags (image_id, value, position)', image.tags.map((tag, i) => [image.id, tag, i])],
          [
            'image_members (image_id, member_id, status, position, created_at, updated_at)',
            image.members.map((m, i) => [image.id, m.memberId, m.status, i, at, at]),
          ],
          [
            'image_locations (image_id, id, url, metadata, status, position)',
            image.locations.map((l, i) => [image.id, l.id, l.url, JSON.stringify(l.metadata), l.status, i]),
          ],
        ];
        for (const [table, rows] of children) if (rows.length > 0) await sql.run(`INSERT INTO ${table} VALUES ?`, [rows]);
        const stored = await selectImage(sql, image.id);
        if (stored === null) throw new Error(`image ${image.id} vanished inside its create transaction`);
        return stored;
      })
      .andThen((created) => ('kind' in created ? errAsync(created) : okAsync(created)));
  }

  /** One page: the marker's place, then the images after it, filtered by the indexed visibility columns. */
  listImages(query: CheckedImageListQuery): ResultAsync<readonly Image[], StorageError | UnknownMarker> {
    const page = {
      ...listingViewer(query.visibleTo),
      limit: query.limit,
      ...(query.name === undefined ? {} : { name: query.name }),
      ...(query.marker === undefined ? {} : { marker: query.marker }),
    };
    return this.db.read((sql) => selectLiveImages(sql, page)).andThen((listed) => ('kind' in listed ? errAsync(listed) : okAsync(listed)));
  }

  updateImage(imageId: string, patch: CheckedImagePatch, now: Date): ResultAsync<Image | null, StorageError> {
    const assignments: string[] = ['updated_at = ?'];
    const values: unknown[] = [now.getTime()];
    const set = (column: string, value: unknown) => {
      assignments.push(`${column} = ?`);
      values.push(value);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.visibility !== undefined) set('visibility', patch.visibility);
    if (patch.protected !== undefined) set('protected', patch.protected);
    if (patch.status !== undefined) set('status', patch.status);
    return this.db.transaction(async (sql) => {
      // Guarded by liveness: a delete that committed first leaves nothing to update, and the image read back is not live (`null`).
      await sql.run(`UPDATE images FORCE INDEX (images_id) SET ${assignments.join(', ')} WHERE id = ? AND deleted = FALSE`, [
        ...values,
        imageId,
      ]);
      const image = await selectImage(sql, imageId);
      return image !== null && isLive(image) ? image : null;
    });
  }

  /** A new member starts `pending`; an existing one is returned unchanged; the image's `updatedAt` is not touched. */
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError> {
    return this.db.transaction(async (sql): Promise<ImageMember | null> => {
      if (!(await lockLive(sql, imageId))) return null;
      type MemberRow = { status: MemberStatus; created_at: number; updated_at: number };
      const [existing] = await sql.rows<MemberRow>(
        'SELECT status, created_at, updated_at FROM image_members WHERE image_id = ? AND member_id = ?',
        [imageId, memberId],
      );
      if (existing !== undefined)
        return { memberId, status: existing.status, createdAt: asDate(existing.created_at), updatedAt: asDate(existing.updated_at) };
      const position = await nextPosition(sql, 'image_members', imageId);
      await sql.run(
        "INSERT INTO image_members (image_id, member_id, status, position, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?, ?)",
        [imageId, memberId, position, now.getTime(), now.getTime()],
      );
      return { memberId, status: 'pending', createdAt: new Date(now.getTime()), updatedAt: new Date(now.getTime()) };
    });
  }

  /**
   * Adds an active location at the end, records size and digests, and makes the image `active`;
   * `QuotaExceeded` when the owner's other live images and the data would hold more than `imageSizeTotal` bytes.
   */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError | QuotaExceeded> {
    return this.db
      .transaction(async (sql): Promise<Image | null | QuotaExceeded> => {
        if (this.quotas.imageSizeTotal !== undefined) {
          // The owner never changes, so it is read before the project lock, which comes before the image row's lock.
          const [found] = await sql.rows<{ owner: string | null }>(
            `SELECT owner FROM images FORCE INDEX (images_id) WHERE id = ? AND ${LIVE}`,
            [imageId],
          );
          if (found === undefined) return null;
          const project = quotaProject(this.quotas, 'image_size_total', found.owner);
          if (project !== null) {
            await lockProjectQuota(sql, project);
            const [summed] = await sql.rows<{ total: number | string }>(
              `SELECT COALESCE(SUM(size), 0) AS total FROM images WHERE owner = ? AND id <> ? AND ${LIVE}`,
              [project, imageId],
            );
            const overQuota = imageSizeExceeded(this.quotas, project, Number(summed?.total ?? 0), data.size);
            if (overQuota !== null) return overQuota;
          }
        }
        if (!(await lockLive(sql, imageId))) return null;
        const position = await nextPosition(sql, 'image_locations', imageId);
        await sql.run("INSERT INTO image_locations (image_id, id, url, metadata, status, position) VALUES (?, ?, ?, ?, 'active', ?)", [
          imageId,
          globalThis.crypto.randomUUID(),
          data.url,
          JSON.stringify(data.metadata ?? {}),
          position,
        ]);
        await sql.run(
          `UPDATE images FORCE INDEX (images_id)
         SET size = ?, checksum = ?, os_hash_algo = ?, os_hash_value = ?, status = 'active', updated_at = ? WHERE id = ?`,
          [data.size, data.checksum, data.osHashAlgo, data.osHashValue, now.getTime(), imageId],
        );
        return selectImage(sql, imageId);
      })
      .andThen((attached) => (attached !== null && 'kind' in attached ? errAsync(attached) : okAsync(attached)));
  }
}
