// An Authenticator over a fixed token → principal map, for examples, tests and small deployments.
import { createHash } from 'node:crypto';
import type { Principal, StorageError } from '@image-catalog/core';
import { okAsync, type ResultAsync } from 'neverthrow';
import type { Authenticator, Credentials } from './authenticator.port.js';

/** The SHA-256 of a token, hex: what the map is keyed by, so tokens themselves are never compared. */
function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Looks a token up in one hash-map probe on its SHA-256 digest, whatever the number of tokens.
 * Comparing digests rather than tokens leaks nothing useful through timing: how much of a
 * digest matched tells an attacker nothing about a token that would match more of it.
 */
export class StaticTokenAuthenticator implements Authenticator {
  readonly #principals: ReadonlyMap<string, Principal>;

  constructor(tokens: ReadonlyMap<string, Principal> | Readonly<Record<string, Principal>>) {
    const pairs = tokens instanceof Map ? [...tokens] : Object.entries(tokens);
    this.#principals = new Map(
      pairs.map(([token, p]) => [
        digest(token),
        Object.freeze({ userId: p.userId, projectId: p.projectId, roles: Object.freeze([...p.roles]) }),
      ]),
    );
  }

  authenticate({ token }: Credentials): ResultAsync<Principal | null, StorageError> {
    return okAsync(this.#principals.get(digest(token)) ?? null);
  }
}
