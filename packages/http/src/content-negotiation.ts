// Picks the fault body format from `Accept`: JSON unless the client clearly prefers another.

export type FaultFormat = 'json' | 'problem' | 'text';

const MEDIA_TYPES: readonly (readonly [FaultFormat, string, string])[] = [
  // Order breaks ties: JSON, the OpenStack format, wins any tie.
  ['json', 'application', 'json'],
  ['problem', 'application', 'problem+json'],
  ['text', 'text', 'plain'],
];

/** Longer headers are cut: nothing legitimate needs more, and parsing stays bounded. */
const MAX_ACCEPT_LENGTH = 4096;
const MAX_RANGES = 64;

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseRange(part: string): MediaRange | null {
  const [mediaType = '', ...params] = part.split(';');
  const match = /^\s*([a-z0-9!#$%&'*+.^_`|~-]+)\/([a-z0-9!#$%&'*+.^_`|~-]+)\s*$/i.exec(mediaType);
  if (!match) return null;
  let q = 1;
  for (const param of params) {
    const [key = '', value = ''] = param.split('=');
    if (key.trim().toLowerCase() !== 'q') continue;
    if (!/^\s*(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/.test(value)) return null;
    q = Number(value);
  }
  const type = (match[1] ?? '').toLowerCase();
  const subtype = (match[2] ?? '').toLowerCase();
  if (type === '*' && subtype !== '*') return null;
  return { type, subtype, q };
}

/** The q and specificity (3 exact, 2 `type/*`, 1 `*\/*`) of the most specific range matching. */
function preference(ranges: readonly MediaRange[], type: string, subtype: string): readonly [number, number] {
  let best: readonly [number, number] = [0, 0];
  for (const r of ranges) {
    const specificity = r.type === type && r.subtype === subtype ? 3 : r.type === type && r.subtype === '*' ? 2 : r.type === '*' ? 1 : 0;
    if (specificity > best[1]) best = [r.q, specificity];
  }
  return best;
}

/**
 * `application/json` by default and for a missing, empty, unparseable or unsatisfiable
 * `Accept` (a fault is never turned into a 406). Otherwise the format with the highest q, then
 * the most specific match; ties go to JSON. So `text/plain` is chosen only when the client
 * prefers it, and `application/problem+json` when asked for it ahead of `application/json`.
 */
export function negotiateFaultFormat(accept: string | null | undefined): FaultFormat {
  if (!accept) return 'json';
  const ranges = accept
    .slice(0, MAX_ACCEPT_LENGTH)
    .split(',', MAX_RANGES)
    .map(parseRange)
    .filter((r): r is MediaRange => r !== null);
  let chosen: FaultFormat = 'json';
  let best: readonly [number, number] = [0, 0];
  for (const [format, type, subtype] of MEDIA_TYPES) {
    const [q, specificity] = preference(ranges, type, subtype);
    if (q > best[0] || (q === best[0] && q > 0 && specificity > best[1])) {
      chosen = format;
      best = [q, specificity];
    }
  }
  return chosen;
}
