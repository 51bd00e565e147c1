// The four HTTP servers compared: the library on node:http and on Express, and bare handlers doing the raw SQL.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type BetterSqlite3 from 'better-sqlite3';
import express from 'express';
import { createImagesHandler, createNodeListener, StaticTokenAuthenticator } from '@image-catalog/http';
import { createImagesRouter } from '@image-catalog/express';
import { BENCH_PRINCIPAL, BENCH_PROJECT, BENCH_TOKEN } from './database.js';
import { createLibraryDelete } from './library.js';
import { createRawDelete, type RawDeleteOutcome } from './raw-delete.js';

export const SERVER_KINDS = ['library-node', 'baseline-node', 'library-express', 'baseline-express'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/** The library as a host mounts it: basePath `/v2`, static tokens, no rate limit, silent logger, worker null. */
function libraryOptions(db: BetterSqlite3.Database) {
  return {
    deleteImage: createLibraryDelete(db, { dataStore: null }),
    authenticator: new StaticTokenAuthenticator({ [BENCH_TOKEN]: BENCH_PRINCIPAL }),
  };
}

const STATUS_OF: Record<RawDeleteOutcome, number> = { deleted: 204, 'not-found': 404, forbidden: 403, protected: 403 };

/** The bare handlers' whole job once the route matched: compare the token, run the raw transaction. */
function bareDelete(rawDelete: ReturnType<typeof createRawDelete>, token: string | string[] | undefined, imageId: string): number {
  if (token !== BENCH_TOKEN) return 401;
  try {
    return STATUS_OF[rawDelete(imageId, BENCH_PROJECT)];
  } catch {
    return 500;
  }
}

const BARE_ROUTE = /^\/v2\/images\/([^/?]+)$/;

export function createBenchServer(kind: ServerKind, db: BetterSqlite3.Database): Server {
  switch (kind) {
    case 'library-node':
      return createServer(createNodeListener(createImagesHandler({ basePath: '/v2', ...libraryOptions(db) })));
    case 'library-express': {
      const app = express();
      app.use('/v2', createImagesRouter(libraryOptions(db)));
      return createServer(app);
    }
    case 'baseline-node': {
      const rawDelete = createRawDelete(db);
      return createServer((req: IncomingMessage, res: ServerResponse) => {
        const match = BARE_ROUTE.exec(req.url ?? '');
        res.statusCode = req.method === 'DELETE' && match !== null ? bareDelete(rawDelete, req.headers['x-auth-token'], match[1]!) : 404;
        res.end();
      });
    }
    case 'baseline-express': {
      const rawDelete = createRawDelete(db);
      const app = express();
      app.delete('/v2/images/:imageId', (req, res) => {
        res.status(bareDelete(rawDelete, req.headers['x-auth-token'], req.params.imageId)).end();
      });
      return createServer(app);
    }
    default: {
      const unknown: never = kind;
      throw new Error(`unknown server kind ${String(unknown)}`);
    }
  }
}

/** Listens on 127.0.0.1 at an ephemeral port (testkit's helper, imported by path: its package index loads vitest). */
export { listenOnLoopback as listen } from '../../packages/testkit/src/http/loopback-server.js';
