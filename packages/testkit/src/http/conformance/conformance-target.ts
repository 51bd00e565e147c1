// What a deployment hands the HTTP conformance suite: where it listens, its tokens, and how to create images in it.
import type { HttpConformanceImageSpec } from '../conformance-principals.js';

/** A running deployment, as the suite needs it. */
export interface HttpConformanceTarget {
  /** Where `/images/{image_id}` lives below, e.g. `http://127.0.0.1:8080/v2` (no trailing slash needed). */
  readonly baseUrl: string;
  /**
   * Tokens of: an admin; a member and a reader of the owner project; a member of another
   * project. None of them may be rate limited within the suite's few hundred requests.
   */
  readonly tokens: {
    readonly admin: string;
    readonly ownerMember: string;
    readonly ownerReader: string;
    readonly otherProject: string;
  };
  /** Creates an image as specified and returns its id (a UUID in the default id format). */
  createImage(spec: HttpConformanceImageSpec): Promise<string>;
  /**
   * A token whose project may make `limit` DELETE requests in the suite's run before the
   * rate limit answers `status` (default 413). Leave it out to skip the rate-limit test.
   */
  readonly rateLimited?: { readonly token: string; readonly limit: number; readonly status?: 413 | 429 };
  /**
   * Methods the deployment itself serves on `/images/{image_id}` (e.g. `['GET', 'PATCH']` in a
   * Glance-compatible service, HEAD following GET). The 405 tests leave them out; `Allow` must list them.
   */
  readonly hostMethods?: readonly string[];
  /** Stops the deployment, when the factory started one. */
  close(): Promise<void>;
}

export type HttpConformanceFactory = () => Promise<HttpConformanceTarget>;
