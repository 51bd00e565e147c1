// The one failure of image input the catalog refuses (a name with U+0000, an over-long tag, ...), as data.

/** Which input was refused, named as in `NewImage` / `ImagePatch` (`nameFilter` is `listImages({ name })`). */
export type ImageInputField =
  | 'image'
  | 'patch'
  | 'id'
  | 'name'
  | 'nameFilter'
  | 'owner'
  | 'status'
  | 'visibility'
  | 'protected'
  | 'size'
  | 'virtualSize'
  | 'checksum'
  | 'osHashAlgo'
  | 'osHashValue'
  | 'diskFormat'
  | 'containerFormat'
  | 'minDisk'
  | 'minRam'
  | 'tags'
  | 'properties'
  | 'propertyKey'
  | 'propertyValue'
  | 'members'
  | 'memberId'
  | 'memberStatus'
  | 'locations'
  | 'locationId'
  | 'locationUrl'
  | 'locationMetadata';

/** Why it was refused. */
export type InvalidImageInputReason =
  /** Not the type the field has (a number for a name, a non-array for tags). */
  | 'WrongType'
  /** An empty string where one is required (member id, tag, property name, ...). */
  | 'Empty'
  /** Longer than the field's limit, counted in Unicode code points as Glance counts. */
  | 'TooLong'
  /** Contains U+0000, which PostgreSQL cannot store and C APIs truncate at. */
  | 'ContainsNul'
  /** Not well-formed UTF-16: an unpaired surrogate, which no database stores unchanged. */
  | 'LoneSurrogate'
  /** Not one of the field's enumerated values (status, visibility, disk or container format). */
  | 'NotAllowed'
  /** A number outside the field's range, or not an integer. */
  | 'OutOfRange'
  /** The same member or location id twice in one image. */
  | 'Duplicate';

/**
 * Input the catalog does not accept. `message` is safe to send to a client: it names the field
 * (in Glance's wire spelling) and the rule, and never echoes the refused value, which may be hostile.
 */
export interface InvalidImageInput {
  readonly kind: 'InvalidImageInput';
  readonly field: ImageInputField;
  readonly reason: InvalidImageInputReason;
  readonly message: string;
}

/** How each field is named in a message: Glance's wire names where the field has one. */
const FIELD_LABELS = {
  image: 'image',
  patch: 'image patch',
  id: "value for 'id'",
  name: "value for 'name'",
  nameFilter: "value for the 'name' filter",
  owner: "value for 'owner'",
  status: "value for 'status'",
  visibility: "value for 'visibility'",
  protected: "value for 'protected'",
  size: "value for 'size'",
  virtualSize: "value for 'virtual_size'",
  checksum: "value for 'checksum'",
  osHashAlgo: "value for 'os_hash_algo'",
  osHashValue: "value for 'os_hash_value'",
  diskFormat: "value for 'disk_format'",
  containerFormat: "value for 'container_format'",
  minDisk: "value for 'min_disk'",
  minRam: "value for 'min_ram'",
  tags: "value for 'tags'",
  properties: 'image properties',
  propertyKey: 'property name',
  propertyValue: 'property value',
  members: "value for 'members'",
  memberId: "value for 'member'",
  memberStatus: 'member status',
  locations: "value for 'locations'",
  locationId: 'location id',
  locationUrl: 'location url',
  locationMetadata: 'location metadata',
} as const satisfies Record<ImageInputField, string>;

/** Builds the failure; `rule` completes "Invalid <field>: <rule>." (e.g. "at most 255 characters"). */
export function invalidImageInput(field: ImageInputField, reason: InvalidImageInputReason, rule?: string): InvalidImageInput {
  const label = FIELD_LABELS[field];
  return { kind: 'InvalidImageInput', field, reason, message: rule === undefined ? `Invalid ${label}.` : `Invalid ${label}: ${rule}.` };
}

/** Narrows any failure to `InvalidImageInput`, for callers mapping it (e.g. to HTTP 400). */
export function isInvalidImageInput(error: { readonly kind: string }): error is InvalidImageInput {
  return error.kind === 'InvalidImageInput';
}
