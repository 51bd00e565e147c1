// Checks what an author hands the catalog (new images, patches, member ids, name filters) before any adapter stores it.
import { err, ok, type Result } from 'neverthrow';
import { IMAGE_STATUSES, IMAGE_VISIBILITIES, MEMBER_STATUSES } from '../image/image.js';
import type { NewImage } from '../image/new-image.js';
import type { ImagePatch } from '../ports/image-catalog.port.js';
import { GLANCE_CONTAINER_FORMATS, GLANCE_DISK_FORMATS, IMAGE_INPUT_LIMITS as LIMITS, MAX_MIN_DISK_OR_RAM } from './image-input-limits.js';
import { invalidImageInput, type ImageInputField, type InvalidImageInput } from './invalid-image-input.js';
import { checkText } from './text-rules.js';

type Problem = InvalidImageInput | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstProblem(checks: readonly (() => Problem)[]): Problem {
  for (const check of checks) {
    const problem = check();
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function toResult<T>(value: T, problem: Problem): Result<T, InvalidImageInput> {
  return problem === undefined ? ok(value) : err(problem);
}

/** `undefined` keeps the default; `null` only where the field allows it. */
function optionalText(value: unknown, field: ImageInputField, max: number, nullable: boolean): Problem {
  if (value === undefined || (nullable && value === null)) return undefined;
  return checkText(value, field, { max });
}

function oneOf(value: unknown, field: ImageInputField, allowed: readonly string[], nullable: boolean): Problem {
  if (value === undefined || (nullable && value === null)) return undefined;
  if (typeof value === 'string' && allowed.includes(value)) return undefined;
  return invalidImageInput(field, typeof value === 'string' ? 'NotAllowed' : 'WrongType', `must be one of ${allowed.join(', ')}`);
}

function optionalBoolean(value: unknown, field: ImageInputField): Problem {
  return value === undefined || typeof value === 'boolean' ? undefined : invalidImageInput(field, 'WrongType', 'expected true or false');
}

function wholeNumber(value: unknown, field: ImageInputField, max: number, nullable: boolean): Problem {
  if (value === undefined || (nullable && value === null)) return undefined;
  if (typeof value !== 'number') return invalidImageInput(field, 'WrongType', 'expected a number');
  return Number.isInteger(value) && value >= 0 && value <= max
    ? undefined
    : invalidImageInput(field, 'OutOfRange', `must be a whole number from 0 to ${max}`);
}

/** Property names and values (and location metadata): names 1–255 characters, values at most 65 535. */
function checkStringMap(value: unknown, field: 'properties' | 'locationMetadata'): Problem {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return invalidImageInput(field, 'WrongType', 'expected an object whose values are strings');
  const [keyField, valueField] =
    field === 'properties' ? (['propertyKey', 'propertyValue'] as const) : (['locationMetadata', 'locationMetadata'] as const);
  for (const [key, entry] of Object.entries(value)) {
    const problem =
      checkText(key, keyField, { max: LIMITS.propertyKey, allowEmpty: false }) ??
      checkText(entry, valueField, { max: LIMITS.propertyValue });
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function checkTags(tags: unknown): Problem {
  if (tags === undefined) return undefined;
  if (!Array.isArray(tags)) return invalidImageInput('tags', 'WrongType', 'expected a list of strings');
  for (const tag of tags as readonly unknown[]) {
    const problem = checkText(tag, 'tags', { max: LIMITS.tag, allowEmpty: false });
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** A list of objects whose `key` is unique among them; `each` checks one item. */
function checkUniqueList(
  value: unknown,
  field: 'members' | 'locations',
  key: 'memberId' | 'id',
  idField: ImageInputField,
  each: (item: Record<string, unknown>) => Problem,
): Problem {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return invalidImageInput(field, 'WrongType', 'expected a list of objects');
  const seen = new Set<unknown>();
  for (const item of value as readonly unknown[]) {
    if (!isRecord(item)) return invalidImageInput(field, 'WrongType', 'expected a list of objects');
    const problem = each(item);
    if (problem !== undefined) return problem;
    const id = item[key];
    if (id !== undefined && seen.has(id)) return invalidImageInput(idField, 'Duplicate', 'must not appear twice in one image');
    seen.add(id);
  }
  return undefined;
}

function checkMember(member: Record<string, unknown>): Problem {
  return (
    checkText(member.memberId, 'memberId', { max: LIMITS.memberId, allowEmpty: false }) ??
    oneOf(member.status, 'memberStatus', MEMBER_STATUSES, false)
  );
}

function checkLocation(location: Record<string, unknown>): Problem {
  return (
    (location.id === undefined ? undefined : checkText(location.id, 'locationId', { max: LIMITS.locationId, allowEmpty: false })) ??
    checkText(location.url, 'locationUrl', { max: LIMITS.locationUrl, allowEmpty: false }) ??
    checkStringMap(location.metadata, 'locationMetadata')
  );
}

/**
 * Checks a new image against what the catalog accepts (Glance's image schema, plus: no U+0000
 * and well-formed UTF-16 in every text). Answers the input itself when it passes, or the first
 * problem found, fields in `NewImage` order. Every `ImageCatalog.createImage` runs it first.
 */
export function validateNewImage(input: NewImage): Result<NewImage, InvalidImageInput> {
  if (!isRecord(input)) return err(invalidImageInput('image', 'WrongType', 'expected an object'));
  const image = input as unknown as Record<keyof NewImage, unknown>;
  return toResult(
    input,
    firstProblem([
      () => checkText(image.id, 'id', { max: LIMITS.id, allowEmpty: false }),
      () => optionalText(image.name, 'name', LIMITS.name, true),
      () => (image.owner === null ? undefined : checkText(image.owner, 'owner', { max: LIMITS.owner, allowEmpty: false })),
      () => oneOf(image.status, 'status', IMAGE_STATUSES, false),
      () => oneOf(image.visibility, 'visibility', IMAGE_VISIBILITIES, false),
      () => optionalBoolean(image.protected, 'protected'),
      () => wholeNumber(image.size, 'size', Number.MAX_SAFE_INTEGER, true),
      () => wholeNumber(image.virtualSize, 'virtualSize', Number.MAX_SAFE_INTEGER, true),
      () => optionalText(image.checksum, 'checksum', LIMITS.checksum, true),
      () => optionalText(image.osHashAlgo, 'osHashAlgo', LIMITS.osHashAlgo, true),
      () => optionalText(image.osHashValue, 'osHashValue', LIMITS.osHashValue, true),
      () => oneOf(image.diskFormat, 'diskFormat', GLANCE_DISK_FORMATS, true),
      () => oneOf(image.containerFormat, 'containerFormat', GLANCE_CONTAINER_FORMATS, true),
      () => wholeNumber(image.minDisk, 'minDisk', MAX_MIN_DISK_OR_RAM, false),
      () => wholeNumber(image.minRam, 'minRam', MAX_MIN_DISK_OR_RAM, false),
      () => checkTags(image.tags),
      () => checkStringMap(image.properties, 'properties'),
      () => checkUniqueList(image.members, 'members', 'memberId', 'memberId', checkMember),
      () => checkUniqueList(image.locations, 'locations', 'id', 'locationId', checkLocation),
    ]),
  );
}

/** Checks a patch like the same fields of a new image. Every `ImageCatalog.updateImage` runs it first. */
export function validateImagePatch(patch: ImagePatch): Result<ImagePatch, InvalidImageInput> {
  if (!isRecord(patch)) return err(invalidImageInput('patch', 'WrongType', 'expected an object'));
  return toResult(
    patch,
    firstProblem([
      () => optionalText(patch.name, 'name', LIMITS.name, true),
      () => oneOf(patch.visibility, 'visibility', IMAGE_VISIBILITIES, false),
      () => optionalBoolean(patch.protected, 'protected'),
      () => oneOf(patch.status, 'status', IMAGE_STATUSES, false),
    ]),
  );
}

/** A member (project) id: 1 to 255 characters. Every `ImageCatalog.addMember` runs it first. */
export function validateMemberId(memberId: string): Result<string, InvalidImageInput> {
  return toResult(memberId, checkText(memberId, 'memberId', { max: LIMITS.memberId, allowEmpty: false }));
}

/**
 * A `listImages` name filter follows the rules of a name: a filter no image name could match
 * (over-long, with U+0000) is refused rather than sent to the database.
 */
export function validateNameFilter(name: string): Result<string, InvalidImageInput> {
  return toResult(name, checkText(name, 'nameFilter', { max: LIMITS.name }));
}

/**
 * The text rules for an image id a caller refers to (`updateImage`, `addMember`): 1 to 255
 * characters, no U+0000, well-formed. Whether it is in the deployment's id format (a UUID by
 * default) is the `ImageIdFormat`'s business, not the catalog's.
 */
export function validateImageIdText(imageId: string): Result<string, InvalidImageInput> {
  return toResult(imageId, checkText(imageId, 'id', { max: LIMITS.id, allowEmpty: false }));
}
