// Id path segments a hostile or careless client may send; none may cause a 5xx or be echoed.

/** Raw (as sent, percent-encoded where needed) segments that are never a valid image id. */
export const HOSTILE_ID_SEGMENTS: readonly string[] = [
  'a'.repeat(256),
  '0'.repeat(5_000),
  `${'%41'.repeat(300)}`,
  '%2F',
  'abc%2Fdef',
  '..%2F..%2Fetc%2Fpasswd',
  // (A bare `%2e%2e` is a dot segment `fetch` resolves away; the raw-target tests send `..` as is.)
  '%2e%2e%2fetc',
  '%5C..%5Cwindows',
  '%',
  '%zz',
  'abc%',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%FF%FE',
  '%00',
  'abc%00def',
  'line%0Abreak',
  'carriage%0D%0Aset-cookie:%20x=1',
  '%7F',
  '%C2%85',
  'caf%C3%A9',
  '%F0%9F%92%A9%F0%9F%92%A9',
  'images%3F%23',
  '%27%3B%20DROP%20TABLE%20images%3B--',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '%24%7Bjndi%3Aldap%3A%2F%2Fx%7D',
  '%252F',
  'NaN',
  '-1',
  '00000000-0000-0000-0000-00000000000',
  '00000000-0000-0000-0000-0000000000000',
  '{00000000-0000-0000-0000-000000000000}',
  '00000000000000000000000000000000',
  'urn:uuid:00000000-0000-0000-0000-000000000000',
  '00000000-0000-0000-0000-00000000000g',
  '%20c0ffee0-0000-4000-8000-000000000000',
];

/** Unicode written as is: `fetch` encodes it as UTF-8 on the wire. */
export const UNICODE_ID_SEGMENTS: readonly string[] = ['ünïcödé-ïd', '镜像标识符', '\u202Eevil', '\uFEFFbom', '𝕴𝖒𝖆𝖌𝖊'];
