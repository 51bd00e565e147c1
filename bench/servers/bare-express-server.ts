// The baseline server of the service cases: a bare Express 5 app whose only route runs the minimal soft-delete (SQLite or PostgreSQL).
//
// node --import tsx bench/servers/bare-express-server.ts sqlite <file.db>
// node --import tsx bench/servers/bare-express-server.ts postgres <postgres://url>
//
// Environment: BENCH_TOKEN (the accepted X-Auth-Token, required), PORT (default 0: any free port),
// HOST (default 127.0.0.1). Prints `listening on http://host:port` on stdout; SIGTERM closes it.
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import express from 'express';
import pg from 'pg';
import { createMinimalPostgresDelete } from '../support/minimal-delete-postgres.js';
import { createMinimalDelete } from '../support/minimal-delete.js';

interface Backend {
  readonly deleteImage: (imageId: string) => boolean | Promise<boolean>;
  close(): Promise<void>;
}

/** WAL and synchronous=NORMAL, as the library's `openDatabase` sets them, opened with plain better-sqlite3. */
function sqliteBackend(path: string): Backend {
  const db = new Database(path, { fileMustExist: true });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return {
    deleteImage: createMinimalDelete(db),
    close: async () => {
      db.close();
    },
  };
}

/** A pool of 10 connections, the size the example service uses. */
function postgresBackend(url: string): Backend {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => undefined);
  return { deleteImage: createMinimalPostgresDelete(pool), close: () => pool.end() };
}

function backendFrom(argv: readonly string[]): Backend {
  const [kind, target] = argv;
  if (kind === 'sqlite' && target) return sqliteBackend(target);
  if (kind === 'postgres' && target) return postgresBackend(target);
  throw new Error('usage: bare-express-server.ts sqlite <file.db> | postgres <postgres://url>');
}

const token = process.env['BENCH_TOKEN'];
if (!token) throw new Error('BENCH_TOKEN must name the accepted X-Auth-Token');
const backend = backendFrom(process.argv.slice(2));

const app = express();
app.delete('/v2/images/:imageId', async (req, res) => {
  if (req.headers['x-auth-token'] !== token) {
    res.status(401).end();
    return;
  }
  try {
    res.status((await backend.deleteImage(req.params.imageId)) ? 204 : 404).end();
  } catch {
    res.status(500).end();
  }
});

const server = app.listen(Number(process.env['PORT'] ?? 0), process.env['HOST'] ?? '127.0.0.1', () => {
  const { address, port } = server.address() as AddressInfo;
  process.stdout.write(`listening on http://${address}:${port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeIdleConnections();
  void backend.close().then(() => process.exit(0));
});
