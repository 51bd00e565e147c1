// Which paths are `{basePath}/images/{image_id}`, and how the id segment is decoded (or refused).
import { MAX_IMAGE_ID_LENGTH } from '@image-catalog/core';

/** The route as logged: a template, never the raw path (which may carry hostile bytes). */
export const IMAGES_ROUTE_TEMPLATE = '/images/{image_id}';

/** `''`, or `/v2`-style: a leading slash, no trailing one. */
export function normaliseBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').replace(/\/+$/, '');
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/**
 * The raw (still percent-encoded) id segment when `path` is exactly `{basePath}/images/{segment}`
 * with a non-empty segment, else `null`. Deeper paths (`/images/{id}/file`, `/images/{id}/tags/x`)
 * and `/images/` are not this route's: hosts serve them, or the handler answers 404.
 */
export function matchImagesRoute(path: string, basePath: string): string | null {
  const prefix = `${basePath}/images/`;
  if (!path.startsWith(prefix)) return null;
  const segment = path.slice(prefix.length);
  return segment.length === 0 || segment.includes('/') ? null : segment;
}

/** Control characters (C0, DEL, C1) and slashes can never be part of an id. */
// Control characters are exactly what it must refuse.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f/]/;

/**
 * The decoded id, or `null` when the segment cannot be an id: invalid percent-encoding or
 * UTF-8, an encoded slash, control characters, or longer than any id may be. Everything else
 * (unicode included) goes on to the use case, whose id format decides.
 */
export function decodeImageIdSegment(segment: string): string | null {
  // Decoding an over-long segment is wasted work: no id character takes more than 9 encoded ones.
  if (segment.length > MAX_IMAGE_ID_LENGTH * 9) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return null;
  }
  return decoded.length === 0 || decoded.length > MAX_IMAGE_ID_LENGTH || FORBIDDEN.test(decoded) ? null : decoded;
}
