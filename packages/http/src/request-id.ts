// Request ids: keep a caller's `req-<uuid>` so logs correlate across services, otherwise mint one.

export const REQUEST_ID_HEADER = 'x-openstack-request-id';

// The prefix is exactly `req-`; the UUID's hex digits may be of any case and are kept as sent:
// clients on some platforms print UUIDs in upper case, and rewriting them would break the
// correlation the header exists for.
const REQUEST_ID = /^req-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True for exactly `req-` followed by a UUID in 8-4-4-4-12 hexadecimal form. */
export function isRequestId(value: string): boolean {
  return value.length === 40 && REQUEST_ID.test(value);
}

export function newRequestId(): string {
  return `req-${globalThis.crypto.randomUUID()}`;
}

/** The incoming id when it has exactly the expected form, a fresh one otherwise. */
export function requestIdFor(incoming: string | null | undefined): string {
  return typeof incoming === 'string' && isRequestId(incoming) ? incoming : newRequestId();
}
