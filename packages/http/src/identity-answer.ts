// Checks what a host's identity function answered, so a wrong shape is a logged 500 naming the mistake, not a failure deeper down.
import type { Principal } from '@image-catalog/core';
import type { Identity } from './identity.port.js';

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  const kind = (value as { kind?: unknown }).kind;
  return kind === undefined ? 'an object without kind' : `kind ${JSON.stringify(kind)}`;
}

function principalProblem(principal: unknown): string | null {
  if (principal === null || typeof principal !== 'object') return 'no principal';
  const { userId, projectId, roles } = principal as Partial<Record<keyof Principal, unknown>>;
  if (typeof userId !== 'string' || userId.length === 0) return 'principal.userId is not a non-empty string';
  if (projectId !== null && typeof projectId !== 'string') return 'principal.projectId is neither a string nor null';
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) return 'principal.roles is not an array of strings';
  return null;
}

/**
 * `answer` when it is an `Identity`; otherwise throws a `TypeError` saying what is wrong. Only
 * a defect in the host's resolver (usually untyped code) gets here: typed code cannot compile it.
 */
export function checkIdentity(answer: unknown): Identity {
  const kind = answer !== null && typeof answer === 'object' ? (answer as { kind?: unknown }).kind : undefined;
  if (kind === 'Unauthenticated' || kind === 'IdentityUnavailable') return answer as Identity;
  if (kind === 'Authenticated') {
    const problem = principalProblem((answer as { principal?: unknown }).principal);
    if (problem === null) return answer as Identity;
    throw new TypeError(`identify answered Authenticated with ${problem}`);
  }
  throw new TypeError(`identify answered ${describe(answer)}; expected Authenticated, Unauthenticated or IdentityUnavailable`);
}
