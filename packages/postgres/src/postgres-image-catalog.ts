// ImageCatalog (authoring) on PostgreSQL: create, list, update, add members and data; every write only to a live image.
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { storageFault, type Image, type ImageMember, type MemberStatus, type StorageError } from '@image-catalog/core';
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
import { asDate, toImage, type TimeColumn } from '@image-catalog/sql-kit';
import { imageCatalogStatements } from './image-catalog-statements.js';
import type { PgQueryable } from './pg-pool.js';
import type { PostgresConnection } from './postgres-connection.js';
import type { PgImageRow } from './rows.js';
import { isUniqueViolation } from './storage-errors.js';
import { StoreInvariantError } from './store-invariant-error.js';

export interface PostgresImageCatalogOptions {
  /** Ids of locations added by `attachImageData` (default: random UUIDs). */
  readonly newId?: () => string;
  /**
   * Per-project `image_count_total` / `image_size_total` limits the catalog enforces (default:
   * none, and then no quota work at all). A check and the write it allows are serialised per
   * project by a transaction-level advisory lock.
   */
  readonly quotas?: ImageQuotas;
}

type Conflict = { readonly kind: 'Conflict' };
type MemberRow = { member_id: string; status: MemberStatus; created_at: TimeColumn; updated_at: TimeColumn };

/** The images primary key: the only unique violation that means "this id is taken". */
const IMAGES_PKEY = 'images_pkey';

/**
 * Writers that touch an image's children lock (and bump) the image row first, so the image row
 * is always locked before child rows, and a delete deciding on the row sees every change.
 *
 * Quotas: READ COMMITTED alone would let two transactions count the same usage and both write.
 * A write that a quota limits first takes the project's advisory lock (`lockProjectQuota`), then
 * counts in a statement of its own, which therefore sees every write of a transaction that held
 * the lock before. The lock comes before any row lock, and deletes never take it, so it adds no
 * deadlock; a wait for it is bounded by `lock_timeout` like any other.
 *
 * Input arrives checked (`UncheckedImageCatalog`): the factory hands it out through `checkedImageCatalog`.
 */
export class PostgresImageCatalog implements UncheckedImageCatalog {
  readonly #c: PostgresConnection;
  readonly #q: ReturnType<typeof imageCatalogStatements>;
  readonly #newId: () => string;
  readonly #quotas: ImageQuotas;

  /** `options.quotas` as checked by `validImageQuotas`. */
  constructor(connection: PostgresConnection, options: PostgresImageCatalogOptions = {}) {
    this.#c = connection;
    this.#q = imageCatalogStatements(connection);
    this.#newId = options.newId ?? (() => globalThis.crypto.randomUUID());
    this.#quotas = options.quotas ?? {};
  }

  /** Waits for the advisory lock of `project`'s quotas in this schema, held until the transaction ends. */
  async #lockProjectQuota(tx: PgQueryable, project: string): Promise<void> {
    await tx.query(this.#q.lockProjectQuota([`${this.#c.schema.name}/${project}`]));
  }

  /** One statement; an id taken by any image, deleted or not, is a `Conflict` and writes nothing. */
  createImage(input: NewImage, now: Date): ResultAsync<Image, StorageError | Conflict | QuotaExceeded> {
    let record: Image;
    try {
      // A copy: what is returned must alias neither the input nor `now`.
      record = structuredClone(newImageRecord(input, new Date(now.getTime())));
    } catch (cause) {
      return errAsync(storageFault(cause));
    }
    const properties = Object.entries(record.properties);
    const project = quotaProject(this.#quotas, 'image_count_total', record.owner);
    const created = this.#c.db.transaction(async (db): Promise<boolean | QuotaExceeded> => {
      if (project !== null) {
        await this.#lockProjectQuota(db, project);
        const usage = Number((await db.query<{ n: string }>(this.#q.countLiveOwned([project]))).rows[0]?.n ?? 0);
        const overQuota = imageCountExceeded(this.#quotas, project, usage);
        if (overQuota !== null) return overQuota;
      }
      try {
        const result = await db.query<{ created: number }>(
          this.#q.createImage([
            record.id,
            record.name,
            record.owner,
            record.status,
            record.visibility,
            record.protected,
            record.size,
            record.virtualSize,
            record.checksum,
            record.osHashAlgo,
            record.osHashValue,
            record.diskFormat,
            record.containerFormat,
            record.minDisk,
            record.minRam,
            record.createdAt,
            record.updatedAt,
            record.deleted,
            record.deletedAt,
            properties.map(([name]) => name),
            properties.map(([, value]) => value),
            [...record.tags],
            record.members.map((m) => m.memberId),
            record.members.map((m) => m.status),
            record.locations.map((l) => l.id),
            record.locations.map((l) => l.url),
            record.locations.map((l) => JSON.stringify(l.metadata)),
            record.locations.map((l) => l.status),
          ]),
        );
        return result.rows[0]?.created === 1;
      } catch (cause) {
        // ON CONFLICT covers the id; this is the same answer for a race it cannot see (e.g. a deferred check).
        if (isUniqueViolation(cause, IMAGES_PKEY)) return false;
        throw cause;
      }
    });
    return created.andThen((inserted): ResultAsync<Image, StorageError | Conflict | QuotaExceeded> =>
      inserted === true ? okAsync(record) : errAsync(inserted === false ? ({ kind: 'Conflict' } as const) : inserted),
    );
  }

  /** One page in one transaction: the marker's place, then the images after it, filtered by the indexed visibility columns. */
  listImages(query: CheckedImageListQuery): ResultAsync<readonly Image[], StorageError | UnknownMarker> {
    const viewer = listingViewer(query.visibleTo);
    return this.#c.db
      .transaction(async (db): Promise<readonly Image[] | UnknownMarker> => {
        let after: [Date | string, string] = ['-infinity', '0'];
        if (query.marker !== undefined) {
          const found = await db.query<{ created_at: Date; seq: string }>(this.#q.markerPlace([viewer.all, viewer.project, query.marker]));
          const place = found.rows[0];
          if (place === undefined) return { kind: 'UnknownMarker', marker: query.marker };
          after = [place.created_at, String(place.seq)];
        }
        const page = [...after, query.limit];
        const named = query.name === undefined ? [] : [query.name];
        const statement = viewer.all
          ? (query.name === undefined ? this.#q.listLive : this.#q.listLiveByName)([...page, ...named])
          : (query.name === undefined ? this.#q.listVisible : this.#q.listVisibleByName)([...page, viewer.project, ...named]);
        return (await db.query<PgImageRow>(statement)).rows.map(toImage);
      })
      .andThen((page) => ('kind' in page ? errAsync(page) : okAsync(page)));
  }

  /** Applies the fields `patch` defines and sets `updatedAt`, only on a live image. */
  updateImage(imageId: string, patch: CheckedImagePatch, now: Date): ResultAsync<Image | null, StorageError> {
    return this.#c.db.transaction(async (tx) => {
      const updated = await tx.query(
        this.#q.updateImage([
          imageId,
          patch.name !== undefined,
          patch.name ?? null,
          patch.visibility ?? null,
          patch.protected ?? null,
          patch.status ?? null,
          now,
        ]),
      );
      return updated.rowCount === 0 ? null : this.#c.readImage(tx, imageId);
    });
  }

  /** A new member starts `pending`; an existing one is returned unchanged; the image's `updatedAt` is not touched. */
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError> {
    return this.#c.db.transaction(async (tx) => {
      if ((await tx.query(this.#q.touchLiveImage([imageId]))).rowCount === 0) return null;
      const inserted = await tx.query<MemberRow>(this.#q.addMember([imageId, memberId, now]));
      const row = inserted.rows[0] ?? (await tx.query<MemberRow>(this.#q.selectMember([imageId, memberId]))).rows[0];
      if (row === undefined) throw new StoreInvariantError(`member ${memberId} of ${imageId} vanished`);
      return { memberId: row.member_id, status: row.status, createdAt: asDate(row.created_at), updatedAt: asDate(row.updated_at) };
    });
  }

  /**
   * Appends an active location and makes the image `active` with the data's size and digests;
   * `QuotaExceeded` when the owner's other live images and the data would hold more than `imageSizeTotal` bytes.
   */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError | QuotaExceeded> {
    return this.#c.db
      .transaction(async (tx): Promise<Image | null | QuotaExceeded> => {
        if (this.#quotas.imageSizeTotal !== undefined) {
          // The owner never changes, so it may be read before the lock; liveness is decided by the UPDATE below.
          const found = (await tx.query<{ owner: string | null }>(this.#q.liveOwner([imageId]))).rows[0];
          if (found === undefined) return null;
          const project = quotaProject(this.#quotas, 'image_size_total', found.owner);
          if (project !== null) {
            await this.#lockProjectQuota(tx, project);
            const usage = Number((await tx.query<{ total: string }>(this.#q.sizeOfOthersOwned([project, imageId]))).rows[0]?.total ?? 0);
            const overQuota = imageSizeExceeded(this.#quotas, project, usage, data.size);
            if (overQuota !== null) return overQuota;
          }
        }
        const updated = await tx.query(this.#q.attachData([imageId, data.size, data.checksum, data.osHashAlgo, data.osHashValue, now]));
        if (updated.rowCount === 0) return null;
        await tx.query(this.#q.addLocation([imageId, this.#newId(), data.url, JSON.stringify(data.metadata ?? {})]));
        return this.#c.readImage(tx, imageId);
      })
      .andThen((attached) => (attached !== null && 'kind' in attached ? errAsync(attached) : okAsync(attached)));
  }
}
