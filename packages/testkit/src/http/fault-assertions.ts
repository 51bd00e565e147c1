// Assertions on faults and on what a response must never reveal, shared by the conformance tests.
import { expect } from 'vitest';

/** Every status behaviour.md §1 documents, plus 429 (a configured alternative to 413). */
export const DOCUMENTED_STATUSES: readonly number[] = [204, 400, 401, 403, 404, 405, 413, 429, 500, 503];

export const REQUEST_ID_PATTERN = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Things that would mean internals leaked: stack frames, error class names, SQL, file paths. */
const LEAKS: readonly (readonly [string, RegExp])[] = [
  ['a stack frame', /\bat (?:[\w$.<>]+ )?\(?(?:[\w.-]*:)?[^\s()]*:\d+:\d+\)?/],
  ['an error class name', /\b[A-Z]\w*Error\b:/],
  ['a SQLite error', /sqlite/i],
  ['SQL', /\b(?:SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/i],
  ['a file path', /(?:^|[\s"'(=])\/(?:home|usr|var|tmp|etc|opt|srv|root|Users|app|work|proc|mnt)\//],
  ['a Windows path', /\b[A-Za-z]:\\\\?[\w.-]/],
  ['a module path', /node_modules|file:\/\/|\.(?:ts|js|mjs|cjs):\d+/],
];

/** Fails when `body` carries internals, or the (raw or decoded) hostile `rawId`. */
export function expectNothingLeaked(body: string, rawId?: string): void {
  for (const [what, pattern] of LEAKS) {
    expect(pattern.test(body), `response body contains ${what}: ${body.slice(0, 500)}`).toBe(false);
  }
  if (rawId === undefined) return;
  const forms = new Set([rawId]);
  try {
    forms.add(decodeURIComponent(rawId));
  } catch {
    // Not decodable: only the raw form can appear.
  }
  for (const form of forms) {
    // Short forms ("0", "%") occur in any body; only a recognisable echo counts.
    if (form.length >= 6)
      expect(body.includes(form), `response body echoes the malformed id ${JSON.stringify(form.slice(0, 80))}`).toBe(false);
  }
}

export interface CheckedFault {
  readonly requestId: string;
  readonly message: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * Checks a JSON fault: status, fault name, `code`, a `req-<uuid>` request id equal to the
 * header, JSON content type, and no leaks. Returns the fault's fields for further checks.
 */
export async function expectJsonFault(response: Response, status: number, name: string, rawId?: string): Promise<CheckedFault> {
  const text = await response.text();
  expect(response.status, `expected ${status} ${name}, got ${response.status}: ${text.slice(0, 300)}`).toBe(status);
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json\b/);
  const requestId = response.headers.get('x-openstack-request-id') ?? '';
  expect(requestId).toMatch(REQUEST_ID_PATTERN);
  expectNothingLeaked(text, rawId);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(parsed)).toEqual([name]);
  const detail = parsed[name] as Record<string, unknown>;
  expect(detail.code).toBe(status);
  expect(typeof detail.message).toBe('string');
  expect(detail.requestId).toBe(requestId);
  return { requestId, message: detail.message as string, detail };
}

/** The methods of an `Allow` header, upper case. */
export function allowedMethods(response: Response): string[] {
  return (response.headers.get('allow') ?? '')
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter((m) => m !== '');
}
