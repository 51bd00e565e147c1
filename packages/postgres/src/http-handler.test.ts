// Two "server processes" (two Fetch handlers, each with its own pool, store and limiter) sharing one PostgreSQL: one rate limit, one winner per delete, 503 when the limiter's database is gone.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { createImagesHandler, StaticTokenAuthenticator, type ImagesHandler } from '@image-catalog/http';
import { imageFixture } from '@image-catalog/testkit';
import { openPostgresStorage } from './postgres-storage.js';
import { PostgresRateLimiter } from './postgres-rate-limiter.js';
import { deleteImageUseCase, ownerMember } from './test-support/fixtures.js';
import { postgresUnreachable, skipNote } from './test-support/test-database.js';
import { useSchemaWithSecondPool } from './test-support/use-test-schema.js';

const TOKEN = 'owner-token';
const LIMIT = 4;

describe.skipIf(postgresUnreachable !== null)(`postgres: behind the HTTP handler${skipNote}`, () => {
  const db = useSchemaWithSecondPool({ secondPoolSize: 4 });

  async function server(pool: pg.Pool, limiterPool: pg.Pool = pool): Promise<ImagesHandler> {
    const { images } = await openPostgresStorage(pool, { schema: db.schema });
    return createImagesHandler({
      basePath: '/v2',
      deleteImage: deleteImageUseCase(images),
      authenticator: new StaticTokenAuthenticator({ [TOKEN]: ownerMember }),
      rateLimiter: new PostgresRateLimiter({ pool: limiterPool, limit: LIMIT, windowSeconds: 3600, schema: db.schema }),
    });
  }

  const del = (handler: ImagesHandler, id: string) =>
    handler(new Request(`http://catalog.test/v2/images/${id}`, { method: 'DELETE', headers: { 'x-auth-token': TOKEN } }));

  it('the limit is shared between the two servers; each image is deleted once (204 then 404); over the limit is 413 with Retry-After', async () => {
    const [a, b] = [await server(db.pool), await server(db.secondPool)];
    const { catalog } = await openPostgresStorage(db.pool, { schema: db.schema });
    const images = [];
    for (let i = 0; i < 2; i++) images.push((await catalog.createImage(imageFixture(), new Date()))._unsafeUnwrap());

    // Both servers race to delete each image: one 204 and one 404 per image, four requests in all.
    const statuses: number[] = [];
    for (const image of images) {
      const replies = await Promise.all([del(a, image.id), del(b, image.id)]);
      statuses.push(...replies.map((r) => r.status).sort());
    }
    expect(statuses).toEqual([204, 404, 204, 404]);

    // The project has used its four requests, whichever server counted them.
    const over = await del(b, globalThis.crypto.randomUUID());
    expect(over.status).toBe(413);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await del(a, globalThis.crypto.randomUUID())).status).toBe(413);
  });

  it('a limiter whose database cannot be reached answers 503 with Retry-After, not a crash', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const deadPool = new pg.Pool({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      max: 1,
      connectionTimeoutMillis: 2_000,
    });
    deadPool.on('error', () => {});
    try {
      const reply = await del(await server(db.pool, deadPool), globalThis.crypto.randomUUID());
      expect(reply.status).toBe(503);
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = await reply.text();
      expect(body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|SELECT|INSERT/);
    } finally {
      await deadPool.end();
    }
  });
});
