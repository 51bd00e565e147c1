// The authentication port: who is behind a token. Keystone, a JWT verifier or a static map plug in here.
import type { Principal, StorageError } from '@image-catalog/core';
import type { ResultAsync } from 'neverthrow';

export interface Credentials {
  readonly token: string;
}

export interface Authenticator {
  /**
   * The principal the token stands for, or `null` for an unknown, expired or revoked token
   * (401). `StorageUnavailable` when the identity backend cannot be reached (503 with its
   * `retryAfterSeconds`); `StorageFault` for anything else (500).
   */
  authenticate(credentials: Credentials): ResultAsync<Principal | null, StorageError>;
}
