// An Authenticator over a fixed token → principal map, for examples, tests and small deployments.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal, StorageError } from '@image-catalog/core';
import { okAsync, type ResultAsync } from 'neverthrow';
import type { Authenticator, Credentials } from './authenticator.port.js';

interface Entry {
  readonly digest: Buffer;
  readonly principal: Principal;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Looks a token up in a fixed map without leaking, through timing, how much of it matched:
 * both sides are hashed to equal-length digests, compared with `timingSafeEqual`, and every
 * entry is compared, with no early exit.
 */
export class StaticTokenAuthenticator implements Authenticator {
  readonly #entries: readonly Entry[];

  constructor(tokens: ReadonlyMap<string, Principal> | Readonly<Record<string, Principal>>) {
    const pairs = tokens instanceof Map ? [...tokens] : Object.entries(tokens);
    this.#entries = pairs.map(([token, p]) => ({
      digest: digest(token),
      principal: Object.freeze({ userId: p.userId, projectId: p.projectId, roles: Object.freeze([...p.roles]) }),
    }));
  }

  authenticate({ token }: Credentials): ResultAsync<Principal | null, StorageError> {
    const presented = digest(token);
    let found: Principal | null = null;
    for (const entry of this.#entries) {
      const same = timingSafeEqual(entry.digest, presented);
      found = same ? entry.principal : found;
    }
    return okAsync(found);
  }
}
