// The Express adapter: a Router the host mounts anywhere, serving `/images/:image_id` below it.
import {
  createImagesHandler,
  fromNodeRequest,
  writeNodeReply,
  type IdentityOptions,
  type IdentityResolver,
  type ImagesPipelineOptions,
} from '@image-catalog/http';
import { Router, type Request } from 'express';

/**
 * The host's identity over Express's `req`: typically reads what the host's own middleware
 * left there (`req.user` of a session or passport, `res.locals`, a verified gateway header).
 */
export type ExpressIdentityResolver = IdentityResolver<Request>;

/**
 * The handler's options, with the base path being wherever the host mounts the router, and
 * exactly one of `identify` (over Express's `req`) or `authenticator` (token shorthand).
 */
export type ImagesRouterOptions = Omit<ImagesPipelineOptions, 'basePath'> & IdentityOptions<Request>;

/**
 * `app.use('/v2', createImagesRouter(options))` serves `DELETE /v2/images/{image_id}` (and
 * OPTIONS, and 405 for other methods). Paths it does not own (`/images`, `/images/{id}/file`)
 * go on to the host's next handler. It installs no body parser and changes nothing on the app.
 *
 * Matching is the handler's own rather than an Express route pattern, so a malformed
 * percent-encoding in the id gets this package's 400 fault instead of the host's error page.
 */
export function createImagesRouter(options: ImagesRouterOptions): Router {
  const handler = createImagesHandler<Request>({ ...options, basePath: '' });
  const router = Router();
  router.use((req, res, next) => {
    // Below the mount point `req.url` is relative to it: `/images/{id}?...`.
    if (!handler.matches(req.url)) {
      next();
      return;
    }
    // `handle` never rejects; only a failed write reaches the host's error handler.
    handler
      .handle(fromNodeRequest(req, req.url, req.baseUrl), req)
      .then((reply) => writeNodeReply(res, reply))
      .catch(next);
  });
  return router;
}
