// The HTTP conformance target of an in-process service on loopback whose images the test writes straight into its catalog.
import type { ImageCatalog } from '@image-catalog/core/authoring';
import { CONFORMANCE_TOKENS, conformanceNewImage, type HttpConformanceImageSpec } from './conformance-principals.js';
import type { HttpConformanceTarget } from './conformance/conformance-target.js';
import type { LoopbackServer } from './loopback-server.js';

/** Creates the image `spec` describes directly in `catalog` (no HTTP) and answers its id; throws when the catalog refuses. */
export async function createConformanceImage(catalog: Pick<ImageCatalog, 'createImage'>, spec: HttpConformanceImageSpec): Promise<string> {
  const created = await catalog.createImage(conformanceNewImage(spec), new Date());
  if (created.isErr()) throw new Error(`createImage failed: ${created.error.kind}`);
  return created.value.id;
}

export interface InProcessConformanceOptions {
  /** The running service; the suite's `close` closes it. */
  readonly server: LoopbackServer;
  /** Where the images routes are mounted, e.g. `/v2`. */
  readonly basePath: string;
  /** Where conformance images are created. */
  readonly catalog: Pick<ImageCatalog, 'createImage'>;
  /** DELETE requests `CONFORMANCE_TOKENS.rateLimited`'s project may make before the limit answers. */
  readonly rateLimit: number;
  /** The status over the limit (the suite's default, 413, when left out). */
  readonly overLimitStatus?: 413 | 429;
}

/** A target with {@link CONFORMANCE_TOKENS}, for a service authenticating with {@link CONFORMANCE_PRINCIPALS}. */
export function inProcessConformanceTarget(options: InProcessConformanceOptions): HttpConformanceTarget {
  const { overLimitStatus } = options;
  return {
    baseUrl: `${options.server.origin}${options.basePath}`,
    tokens: CONFORMANCE_TOKENS,
    rateLimited: {
      token: CONFORMANCE_TOKENS.rateLimited,
      limit: options.rateLimit,
      ...(overLimitStatus === undefined ? {} : { status: overLimitStatus }),
    },
    createImage: (spec) => createConformanceImage(options.catalog, spec),
    close: () => options.server.close(),
  };
}
