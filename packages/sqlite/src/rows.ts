// SQLite's own SQL for reading images: the live condition, the listing SELECT and the one-image read (children as JSON).
import { IMAGE_COLUMNS, type ImageRow } from '@image-catalog/sql-kit';

/**
 * SQL condition for a live image row of table alias `alias`. `deleted = 0` selects the partial
 * indexes; the status test keeps the rule identical to core's `isLive`.
 */
export function liveWhere(alias: string): string {
  return `${alias}.deleted = 0 AND ${alias}.status NOT IN ('deleted', 'pending_delete')`;
}

/**
 * The children of image `i`. A delete never writes them: the image row's state decides how they
 * read (`toImage`), and whether anyone but `findById` of that image sees them (listings only
 * list live images). The purge removes those of finally deleted images.
 */
const CHILD_OF = (alias: string) => `${alias}.image_id = i.id AND ${alias}.deleted = 0`;

const SELECT_COLUMNS = IMAGE_COLUMNS.map((column) => `i.${column}`).join(', ');

/**
 * One statement reads an image with all its children, so a read is a single consistent snapshot
 * and a lookup costs one round trip into SQLite instead of five. Its rows are sql-kit `ImageRow`s
 * (integers, epoch milliseconds, JSON text), read with `toImage`. Used by the listings.
 */
export const SELECT_IMAGE = `
SELECT ${SELECT_COLUMNS},
  (SELECT json_group_array(t.value ORDER BY t.position) FROM image_tags t WHERE ${CHILD_OF('t')}) AS tags,
  (SELECT json_group_object(p.name, p.value ORDER BY p.position) FROM image_properties p WHERE ${CHILD_OF('p')}) AS properties,
  (SELECT json_group_array(json_array(m.member_id, m.status, m.created_at, m.updated_at) ORDER BY m.position)
     FROM image_members m WHERE ${CHILD_OF('m')}) AS members,
  (SELECT json_group_array(json_array(l.id, l.url, json(l.metadata), l.status) ORDER BY l.position)
     FROM image_locations l WHERE ${CHILD_OF('l')}) AS locations
FROM images i`;

/**
 * The one-image read (`SqliteConnection.readImage`: every delete, restore and `findById`), for a
 * statement in raw mode, then `toImageRow`. The same columns as `SELECT_IMAGE`, but each child list
 * is a JSON array of columns, positions first, in the order SQLite scanned the rows:
 * tags `[positions, values]`, properties `[positions, names, values]`, members and locations
 * `[positions, rows]`. The aggregates of one SELECT step through the same rows together, so the
 * columns line up; `toImageRow` puts them in position order. An aggregate `ORDER BY` costs SQLite an
 * ephemeral B-tree per list per read (for an image with a few dozen children, about as much as the
 * rest of the read), while ordering them in JS costs next to nothing and nothing at all when the
 * scan order is already the position order.
 */
export const SELECT_ONE_IMAGE = `
SELECT ${SELECT_COLUMNS},
  (SELECT json_array(json_group_array(t.position), json_group_array(t.value)) FROM image_tags t WHERE ${CHILD_OF('t')}) AS tags,
  (SELECT json_array(json_group_array(p.position), json_group_array(p.name), json_group_array(p.value))
     FROM image_properties p WHERE ${CHILD_OF('p')}) AS properties,
  (SELECT json_array(json_group_array(m.position), json_group_array(json_array(m.member_id, m.status, m.created_at, m.updated_at)))
     FROM image_members m WHERE ${CHILD_OF('m')}) AS members,
  (SELECT json_array(json_group_array(l.position), json_group_array(json_array(l.id, l.url, json(l.metadata), l.status)))
     FROM image_locations l WHERE ${CHILD_OF('l')}) AS locations
FROM images i WHERE i.id = ?`;

type ImageColumn = (typeof IMAGE_COLUMNS)[number];
/** A list as `toImage` takes it once parsed. */
type Parsed<T> = Exclude<T, string | null>;

/** Where each `images` column sits in a raw row of `SELECT_ONE_IMAGE`; the four lists follow them. */
const AT = Object.fromEntries(IMAGE_COLUMNS.map((column, index) => [column, index])) as Record<ImageColumn, number>;
const LISTS_AT = IMAGE_COLUMNS.length;

function column<K extends ImageColumn>(raw: readonly unknown[], name: K): ImageRow[K] {
  return raw[AT[name]] as ImageRow[K];
}

/** A raw row of `SELECT_ONE_IMAGE` as the `ImageRow` `toImage` reads, its children in position order. */
export function toImageRow(raw: readonly unknown[]): ImageRow {
  const [tagPositions, tags] = JSON.parse(raw[LISTS_AT] as string) as [number[], Parsed<ImageRow['tags']>];
  const [propertyPositions, names, values] = JSON.parse(raw[LISTS_AT + 1] as string) as [number[], string[], string[]];
  const [memberPositions, members] = JSON.parse(raw[LISTS_AT + 2] as string) as [number[], Parsed<ImageRow['members']>];
  const [locationPositions, locations] = JSON.parse(raw[LISTS_AT + 3] as string) as [number[], Parsed<ImageRow['locations']>];
  const properties: Record<string, string> = {};
  for (const at of positionOrder(propertyPositions) ?? names.keys()) {
    const name = names[at] as string;
    const value = values[at] as string;
    // An own property even for `__proto__`, as JSON.parse would make it.
    if (name === '__proto__') Object.defineProperty(properties, name, { value, enumerable: true, writable: true, configurable: true });
    else properties[name] = value;
  }
  return {
    id: column(raw, 'id'),
    name: column(raw, 'name'),
    owner: column(raw, 'owner'),
    status: column(raw, 'status'),
    visibility: column(raw, 'visibility'),
    protected: column(raw, 'protected'),
    size: column(raw, 'size'),
    virtual_size: column(raw, 'virtual_size'),
    checksum: column(raw, 'checksum'),
    os_hash_algo: column(raw, 'os_hash_algo'),
    os_hash_value: column(raw, 'os_hash_value'),
    disk_format: column(raw, 'disk_format'),
    container_format: column(raw, 'container_format'),
    min_disk: column(raw, 'min_disk'),
    min_ram: column(raw, 'min_ram'),
    created_at: column(raw, 'created_at'),
    updated_at: column(raw, 'updated_at'),
    deleted: column(raw, 'deleted'),
    deleted_at: column(raw, 'deleted_at'),
    tags: inPositionOrder(tagPositions, tags),
    properties,
    members: inPositionOrder(memberPositions, members),
    locations: inPositionOrder(locationPositions, locations),
  };
}

/** The indexes of `positions` in ascending position order (a stable sort), or `null` when they already are. */
function positionOrder(positions: readonly number[]): number[] | null {
  let previous = -Infinity;
  for (const position of positions) {
    if (position < previous) {
      const indexed = positions.map((p, at) => [p, at] as const);
      return indexed.sort(([a], [b]) => a - b).map(([, at]) => at);
    }
    previous = position;
  }
  return null;
}

function inPositionOrder<T>(positions: readonly number[], values: readonly T[]): readonly T[] {
  const order = positionOrder(positions);
  return order === null ? values : order.map((at) => values[at] as T);
}
