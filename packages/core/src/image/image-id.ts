// Image id formats: how a raw path segment becomes an image id, or is refused.

/** An image id is never longer than this, whatever the format. */
export const MAX_IMAGE_ID_LENGTH = 255;

/** Turns a raw id into its normal form, or `null` when it is malformed. */
export interface ImageIdFormat {
  readonly description: string;
  parse(raw: string): string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The default: a UUID in canonical 8-4-4-4-12 hex form, any version, normalised to lower case. */
export const uuidImageIdFormat: ImageIdFormat = {
  description: 'a UUID in canonical 8-4-4-4-12 hexadecimal form',
  parse(raw) {
    return raw.length === 36 && UUID.test(raw) ? raw.toLowerCase() : null;
  },
};

export interface OpaqueImageIdOptions {
  /** Characters an id may contain; default: letters, digits, `-`, `_`, `.`, `~`, `:`. */
  readonly pattern?: RegExp;
  /** At most {@link MAX_IMAGE_ID_LENGTH}. */
  readonly maxLength?: number;
  /** Lower-case ids before use (default `false`: opaque ids are case-sensitive). */
  readonly lowerCase?: boolean;
}

/** For deployments with opaque, non-UUID ids. The pattern is always anchored and length-capped. */
export function opaqueImageIdFormat(options: OpaqueImageIdOptions = {}): ImageIdFormat {
  const maxLength = Math.min(options.maxLength ?? MAX_IMAGE_ID_LENGTH, MAX_IMAGE_ID_LENGTH);
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`opaqueImageIdFormat: maxLength must be an integer from 1 to ${MAX_IMAGE_ID_LENGTH}`);
  }
  const pattern = options.pattern ?? /^[A-Za-z0-9._~:-]+$/;
  const anchored = new RegExp(`^(?:${pattern.source.replace(/^\^/, '').replace(/\$$/, '')})$`, pattern.flags.replace(/[gy]/g, ''));
  return {
    description: `an opaque id of at most ${maxLength} characters`,
    parse(raw) {
      if (raw.length === 0 || raw.length > maxLength || !anchored.test(raw)) return null;
      return options.lowerCase ? raw.toLowerCase() : raw;
    },
  };
}
