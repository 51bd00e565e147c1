// Reads the token a client sent: `X-Auth-Token` (OpenStack) or `Authorization: Bearer`.
import type { Credentials } from './authenticator.port.js';

/** Longer tokens are refused without being looked at: no legitimate token is this long. */
export const MAX_TOKEN_LENGTH = 8192;

const BEARER = /^Bearer +([^\s,]+) *$/i;

/**
 * `X-Auth-Token` wins when both are sent, as in keystonemiddleware. `null` when there is no
 * usable token, so the caller answers 401 without asking the authenticator.
 */
export function credentialsFrom(header: (name: string) => string | null): Credentials | null {
  const token = header('x-auth-token')?.trim() || BEARER.exec(header('authorization') ?? '')?.[1] || '';
  return token.length === 0 || token.length > MAX_TOKEN_LENGTH ? null : { token };
}
