// The rules every text the catalog stores must follow: no U+0000, well-formed UTF-16, and a length in code points.
import { invalidImageInput, type ImageInputField, type InvalidImageInput } from './invalid-image-input.js';

export interface TextRule {
  /** Most code points allowed. */
  readonly max: number;
  /** `false` refuses the empty string (default `true`). */
  readonly allowEmpty?: boolean;
}

/**
 * Checks one string against the catalog's text rules; `undefined` when it passes. Length is
 * counted in code points, as Glance (Python) counts it, so an emoji is one character, not two.
 * A string too long even at two UTF-16 units per code point is refused before it is scanned.
 */
export function checkText(value: unknown, field: ImageInputField, rule: TextRule): InvalidImageInput | undefined {
  if (typeof value !== 'string') return invalidImageInput(field, 'WrongType', 'expected a string');
  if (value.length === 0 && rule.allowEmpty === false) return invalidImageInput(field, 'Empty', 'must not be empty');
  const tooLong = () => invalidImageInput(field, 'TooLong', `must be at most ${rule.max} characters`);
  if (value.length > rule.max * 2) return tooLong();
  let codePoints = 0;
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    if (unit === 0) return invalidImageInput(field, 'ContainsNul', 'must not contain the character U+0000');
    if (unit >= 0xd800 && unit <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        return invalidImageInput(field, 'LoneSurrogate', 'must be valid Unicode text (an unpaired surrogate was found)');
      }
      i += 1;
    }
    codePoints += 1;
  }
  return codePoints > rule.max ? tooLong() : undefined;
}
