// The Glance-v2-compatible surface around DELETE (create, show, list, patch, upload, members, deactivate),
// so that real OpenStack clients and scripts can make something to delete.
import {
  defaultCanDelete,
  isAdmin,
  isImageVisibleTo,
  IMAGE_VISIBILITIES,
  uuidImageIdFormat,
  type Image,
  type ImageIdFormat,
  type ImageRepository,
  type ImageVisibility,
  type Logger,
  type Principal,
  type StorageError,
  type WritableImageDataStore,
} from '@image-catalog/core';
import { type ImageCatalog, type ImagePatch } from '@image-catalog/core/authoring';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { RESERVED_IMAGE_FIELDS, toGlanceImage } from './glance-image.js';

/** How the host authenticates a request and renders a fault, shared with the DELETE pipeline. */
export interface FixtureHttp {
  /** The caller, or a response already sent (401 / 503). */
  authenticate(req: Request, res: Response): Promise<Principal | null>;
  sendFault(req: Request, res: Response, status: number, message: string, headers?: Record<string, string>): void;
}

export interface GlanceFixtureRouterOptions {
  readonly repository: ImageRepository;
  readonly catalog: ImageCatalog;
  readonly dataStore: WritableImageDataStore;
  readonly http: FixtureHttp;
  readonly logger: Logger;
  readonly idFormat?: ImageIdFormat;
  /** Largest JSON body accepted on create / patch / members (default 64 KiB). */
  readonly jsonLimitBytes?: number;
}

const DISK_FORMATS = new Set(['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']);
const CONTAINER_FORMATS = new Set(['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']);
const PATCH_TYPES = ['application/openstack-images-v2.1-json-patch', 'application/openstack-images-v2.0-json-patch'];

class HttpProblem {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly headers: Record<string, string> = {},
    /** Why a 5xx happened, for the server log only. */
    readonly cause?: unknown,
  ) {}
}

function storageProblem(error: StorageError): HttpProblem {
  return error.kind === 'StorageUnavailable'
    ? new HttpProblem(503, error.message, { 'Retry-After': String(error.retryAfterSeconds) }, error.cause ?? error)
    : new HttpProblem(500, error.message, {}, error.cause ?? error);
}

function unwrap<T>(result: { isErr(): boolean } & ({ value: T } | { error: StorageError })): T {
  if ('error' in result) throw storageProblem(result.error);
  return result.value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function optionalString(body: Record<string, unknown>, key: string, max = 255): string | null | undefined {
  const value = body[key];
  if (value === undefined || value === null) return value as null | undefined;
  if (typeof value !== 'string' || value.length > max) throw new HttpProblem(400, `Invalid value for '${key}': expected a string of at most ${max} characters.`);
  return value;
}

/**
 * The request body as UTF-8 text, at most `limit` bytes. A body declared or found to be larger
 * is refused with 413 at once, without reading the rest (the connection is closed after the answer).
 */
function readBody(req: Request, limit: number): Promise<string> {
  const tooLarge = () => new HttpProblem(413, 'Request body too large.', { Connection: 'close' });
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') return Promise.reject(new HttpProblem(415, 'Unsupported Content-Encoding; send the body uncompressed.'));
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = () => {
      cleanup();
      reject(new HttpProblem(400, 'The request body could not be read.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

export function createGlanceFixtureRouter(options: GlanceFixtureRouterOptions): Router {
  const { repository, catalog: images, dataStore, http, logger } = options;
  const idFormat = options.idFormat ?? uuidImageIdFormat;
  const jsonLimit = options.jsonLimitBytes ?? 64 * 1024;
  const router = express.Router({ caseSensitive: true, strict: false });
  /** Images with an upload in progress in this process. */
  const uploading = new Set<string>();

  // OPTIONS is answered without authentication, with what each path serves. The image path itself
  // is left to the DELETE router, which lists GET and PATCH too (Express would answer it on its own).
  const options_ = (methods: string) => (_req: Request, res: Response) => {
    res.status(204).set('Allow', `${methods}, OPTIONS`).end();
  };
  router.options('/images', options_('GET, POST'));
  router.options('/images/:image_id', (_req, _res, next) => next('router'));
  router.options('/images/:image_id/file', options_('PUT'));
  router.options('/images/:image_id/members', options_('POST'));
  router.options('/images/:image_id/actions/deactivate', options_('POST'));

  type Handler = (req: Request, res: Response, principal: Principal) => Promise<void>;
  const guarded =
    (handler: Handler) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        const principal = await http.authenticate(req, res);
        if (principal === null) return;
        await handler(req, res, principal);
      } catch (error) {
        if (error instanceof HttpProblem) {
          if (error.status >= 500) {
            // The client gets a fixed message; the cause goes to the log, and only there.
            logger[error.status === 500 ? 'error' : 'warn']({ err: error.cause, method: req.method, route: res.locals.route as unknown, status: error.status }, 'fixture endpoint failed');
          }
          http.sendFault(req, res, error.status, error.message, error.headers);
          return;
        }
        logger.error({ err: error, method: req.method, path: req.path }, 'fixture endpoint failed');
        http.sendFault(req, res, 500, 'The server has either erred or is incapable of performing the requested operation.');
      }
    };

  const parseBody = async (req: Request): Promise<unknown> => {
    const text = await readBody(req, jsonLimit);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpProblem(400, 'Malformed JSON in request body.');
    }
  };

  /** The image as the caller may see it: 404 for unknown, deleted or invisible. */
  const visibleImage = async (rawId: string, principal: Principal): Promise<Image> => {
    const id = idFormat.parse(rawId);
    if (id === null) throw new HttpProblem(404, 'No image found with the given ID.');
    const image = unwrap(await repository.findById(id));
    if (image === null || !isImageVisibleTo(image, principal)) throw new HttpProblem(404, `No image found with ID ${id}`);
    return image;
  };
  /** Glance's default modify rule is the same as its delete rule. */
  const modifiableImage = async (rawId: string, principal: Principal): Promise<Image> => {
    const image = await visibleImage(rawId, principal);
    if (!defaultCanDelete(principal, image)) throw new HttpProblem(403, 'You are not authorized to complete modify_image action.');
    return image;
  };
  const checkVisibility = (value: unknown, principal: Principal): ImageVisibility => {
    if (typeof value !== 'string' || !(IMAGE_VISIBILITIES as readonly string[]).includes(value)) {
      throw new HttpProblem(400, `Invalid visibility value: must be one of ${IMAGE_VISIBILITIES.join(', ')}.`);
    }
    if (value === 'public' && !isAdmin(principal)) throw new HttpProblem(403, 'You are not authorized to complete publicize_image action.');
    return value as ImageVisibility;
  };
  const sendImage = (res: Response, status: number, image: Image) => {
    res.status(status).type('application/json').send(JSON.stringify(toGlanceImage(image)));
  };

  router.post(
    '/images',
    guarded(async (req, res, principal) => {
      const body = await parseBody(req);
      if (!isPlainObject(body)) throw new HttpProblem(400, 'The request body must be a JSON object.');
      const rawId = optionalString(body, 'id');
      const id = rawId == null ? globalThis.crypto.randomUUID() : idFormat.parse(rawId);
      if (id === null) throw new HttpProblem(400, `Invalid id: expected ${idFormat.description}.`);
      const owner = optionalString(body, 'owner');
      if (owner !== undefined && !isAdmin(principal) && owner !== principal.projectId) {
        throw new HttpProblem(403, 'You are not permitted to create images owned by another project.');
      }
      const diskFormat = optionalString(body, 'disk_format');
      if (diskFormat != null && !DISK_FORMATS.has(diskFormat)) throw new HttpProblem(400, `Invalid disk format '${diskFormat}' for image.`);
      const containerFormat = optionalString(body, 'container_format');
      if (containerFormat != null && !CONTAINER_FORMATS.has(containerFormat)) throw new HttpProblem(400, `Invalid container format '${containerFormat}' for image.`);
      if (body.protected !== undefined && typeof body.protected !== 'boolean') throw new HttpProblem(400, "Invalid value for 'protected': expected true or false.");
      const tags = body.tags ?? [];
      if (!Array.isArray(tags) || tags.length > 128 || !tags.every((t) => typeof t === 'string' && t.length <= 255)) {
        throw new HttpProblem(400, "Invalid value for 'tags': expected at most 128 strings.");
      }
      const properties: Record<string, string> = {};
      for (const [key, value] of Object.entries(body)) {
        if (RESERVED_IMAGE_FIELDS.has(key)) {
          if (['status', 'size', 'checksum', 'created_at', 'updated_at', 'self', 'file', 'schema', 'locations', 'direct_url', 'deleted', 'deleted_at'].includes(key)) {
            throw new HttpProblem(403, `Attribute '${key}' is read-only.`);
          }
          continue;
        }
        if (typeof value !== 'string' || key.length > 255 || value.length > 65_535) {
          throw new HttpProblem(400, `Invalid value for property '${key.slice(0, 64)}': expected a string.`);
        }
        properties[key] = value;
      }
      const created = await images.createImage(
        {
          id,
          name: optionalString(body, 'name') ?? null,
          // An explicit `"owner": null` (admins only) creates an image without owner, as in Glance.
          owner: owner === undefined ? principal.projectId : owner,
          visibility: body.visibility === undefined ? 'shared' : checkVisibility(body.visibility, principal),
          protected: body.protected === true,
          diskFormat: diskFormat ?? null,
          containerFormat: containerFormat ?? null,
          tags: tags as string[],
          properties,
        },
        new Date(),
      );
      if (created.isErr()) {
        if (created.error.kind === 'Conflict') throw new HttpProblem(409, `Image with identifier ${id} already exists!`);
        throw storageProblem(created.error);
      }
      res.location(`/v2/images/${id}`);
      sendImage(res, 201, created.value);
    }),
  );

  router.get(
    '/images',
    guarded(async (req, res, principal) => {
      const name = typeof req.query.name === 'string' ? req.query.name : undefined;
      const limitRaw = typeof req.query.limit === 'string' ? Number(req.query.limit) : 1000;
      const limit = Number.isInteger(limitRaw) && limitRaw > 0 ? Math.min(limitRaw, 1000) : 1000;
      const all = unwrap(await images.listImages(name === undefined ? {} : { name }));
      const visible = all.filter((image) => isImageVisibleTo(image, principal)).slice(0, limit);
      res.status(200).type('application/json').send(JSON.stringify({ images: visible.map(toGlanceImage), first: '/v2/images', schema: '/v2/schemas/images' }));
    }),
  );

  router.get(
    '/images/:image_id',
    guarded(async (req, res, principal) => {
      sendImage(res, 200, await visibleImage(String(req.params.image_id), principal));
    }),
  );

  router.patch(
    '/images/:image_id',
    guarded(async (req, res, principal) => {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!PATCH_TYPES.includes(contentType)) {
        throw new HttpProblem(415, `Unsupported Content-Type; use ${PATCH_TYPES[0]}.`, { 'Accept-Patch': PATCH_TYPES.join(', ') });
      }
      const image = await modifiableImage(String(req.params.image_id), principal);
      const body = await parseBody(req);
      if (!Array.isArray(body)) throw new HttpProblem(400, 'A JSON patch must be an array of operations.');
      const patch: { -readonly [K in keyof ImagePatch]: ImagePatch[K] } = {};
      for (const op of body) {
        if (!isPlainObject(op) || (op.op !== 'replace' && op.op !== 'add') || typeof op.path !== 'string') {
          throw new HttpProblem(400, "Unsupported patch operation: only 'replace' (or 'add') of /name, /protected, /visibility.");
        }
        switch (op.path) {
          case '/protected':
            if (typeof op.value !== 'boolean') throw new HttpProblem(400, "Invalid value for 'protected': expected true or false.");
            patch.protected = op.value;
            break;
          case '/visibility':
            patch.visibility = checkVisibility(op.value, principal);
            break;
          case '/name':
            if (op.value !== null && (typeof op.value !== 'string' || op.value.length > 255)) throw new HttpProblem(400, "Invalid value for 'name'.");
            patch.name = op.value as string | null;
            break;
          default:
            throw new HttpProblem(403, `Attribute '${op.path.slice(1, 64)}' cannot be changed here.`);
        }
      }
      const updated = unwrap(await images.updateImage(image.id, patch, new Date()));
      // The image was deleted between the read and the write: the PATCH lost the race and must not report success.
      if (updated === null) throw new HttpProblem(404, `No image found with ID ${image.id}`);
      sendImage(res, 200, updated);
    }),
  );

  router.put(
    '/images/:image_id/file',
    guarded(async (req, res, principal) => {
      const contentType = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
      if (contentType !== 'application/octet-stream') throw new HttpProblem(415, 'Unsupported Content-Type; use application/octet-stream.');
      const image = await modifiableImage(String(req.params.image_id), principal);
      if (image.status !== 'queued' || uploading.has(image.id)) {
        throw new HttpProblem(409, `Image status transition from ${uploading.has(image.id) ? 'saving' : image.status} to saving is not allowed`);
      }
      // One upload per image at a time: a second concurrent one would attach a second file.
      uploading.add(image.id);
      try {
        await storeUpload(req, image);
      } finally {
        uploading.delete(image.id);
      }
      res.status(204).end();
    }),
  );

  /** Writes the request body as the image's data and records it; data the catalog refuses is removed again. */
  const storeUpload = async (req: Request, image: Image): Promise<void> => {
    const stored = await dataStore.write(image.id, req);
    if (stored.isErr()) {
      // A client that went away mid-upload is not a server failure (and will not read the answer).
      if (req.readableAborted || req.destroyed) throw new HttpProblem(400, 'The upload was interrupted before all data arrived.');
      throw stored.error.kind === 'DataStoreUnavailable'
        ? new HttpProblem(503, 'The image store is temporarily unavailable. Please retry later.', { 'Retry-After': '5' }, stored.error)
        : new HttpProblem(500, 'The server has either erred or is incapable of performing the requested operation.', {}, stored.error);
    }
    const data = stored.value;
    const attached = await images.attachImageData(image.id, { url: data.url, size: data.size, checksum: data.checksum, osHashAlgo: data.osHashAlgo, osHashValue: data.osHashValue }, new Date());
    if (attached.isErr() || attached.value === null) {
      // The catalog did not take the data (deleted meanwhile, or storage failed): remove it so nothing is orphaned.
      const removed = await dataStore.delete(data.url);
      if (removed.isErr()) logger.error({ imageId: image.id, error: removed.error }, 'could not remove data of an upload the catalog refused');
      if (attached.isErr()) throw storageProblem(attached.error);
      throw new HttpProblem(404, `No image found with ID ${image.id}`);
    }
  };

  router.post(
    '/images/:image_id/members',
    guarded(async (req, res, principal) => {
      const image = await visibleImage(String(req.params.image_id), principal);
      if (!isAdmin(principal) && image.owner !== principal.projectId) throw new HttpProblem(403, 'You are not authorized to complete add_member action.');
      if (image.visibility !== 'shared') throw new HttpProblem(403, 'Only shared images have members.');
      const body = await parseBody(req);
      if (!isPlainObject(body) || typeof body.member !== 'string' || body.member === '' || body.member.length > 255) {
        throw new HttpProblem(400, "The request body must be {\"member\": \"<project id>\"}.");
      }
      const member = unwrap(await images.addMember(image.id, body.member, new Date()));
      if (member === null) throw new HttpProblem(404, `No image found with ID ${image.id}`);
      res.status(200).type('application/json').send(
        JSON.stringify({
          image_id: image.id,
          member_id: member.memberId,
          status: member.status,
          created_at: member.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          updated_at: member.updatedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          schema: '/v2/schemas/member',
        }),
      );
    }),
  );

  router.post(
    '/images/:image_id/actions/deactivate',
    guarded(async (req, res, principal) => {
      const image = await visibleImage(String(req.params.image_id), principal);
      if (!isAdmin(principal)) throw new HttpProblem(403, 'You are not authorized to complete deactivate action.');
      if (image.status === 'deactivated') {
        res.status(204).end();
        return;
      }
      if (image.status !== 'active') throw new HttpProblem(400, `Not allowed to deactivate image in status '${image.status}'`);
      const updated = unwrap(await images.updateImage(image.id, { status: 'deactivated' }, new Date()));
      if (updated === null) throw new HttpProblem(404, `No image found with ID ${image.id}`);
      res.status(204).end();
    }),
  );

  // Methods a path does not serve: 405 with Allow (authentication first, as for DELETE).
  const allow = (methods: string) =>
    guarded(async (req, res) => {
      http.sendFault(req, res, 405, `The method ${req.method.slice(0, 16)} is not allowed for this resource.`, { Allow: methods });
    });
  router.all('/images', allow('GET, POST, OPTIONS'));
  router.all('/images/:image_id/file', allow('PUT, OPTIONS'));
  router.all('/images/:image_id/members', allow('POST, OPTIONS'));
  router.all('/images/:image_id/actions/deactivate', allow('POST, OPTIONS'));

  // Errors Express raises before a handler runs (e.g. an undecodable `%` in the id) are the client's: 400, logged
  // at debug. Anything else is a defect: logged, and a 500 without details.
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      logger.debug({ err: error, method: req.method.slice(0, 32) }, 'fixture router: malformed request');
      http.sendFault(req, res, 400, 'The request could not be parsed.');
      return;
    }
    logger.error({ err: error, method: req.method.slice(0, 32) }, 'fixture router error');
    http.sendFault(req, res, 500, 'The server has either erred or is incapable of performing the requested operation.');
  });
  return router;
}
