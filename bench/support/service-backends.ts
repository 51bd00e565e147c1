// Where the service cases keep their images: a seeded SQLite file copied per trial, or a seeded PostgreSQL database cloned per trial.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cloneSqliteImages, clonePostgresImages } from './clone-images.js';
import { postImages, startBareServer, startExampleService, writeTokensFile } from './example-service.js';
import { EXAMPLE_PG_SCHEMA } from './minimal-delete-postgres.js';
import type { PostgresAdmin } from './postgres-admin.js';
import type { ServerProcess } from './processes.js';

/** Images the service itself creates before they are copied up to the count a case needs. */
const POSTED_IMAGES = 100;

export type ServiceSide = 'library' | 'baseline';

/** One trial's own copy of the seeded images, for any number of servers of one side. */
export interface ServiceTrial {
  readonly dir: string;
  /** Starts one more server on this trial's database (several share it in the scaling case). */
  start(side: ServiceSide): Promise<ServerProcess>;
  /** After the servers stopped: what is wrong with the database, given how many images were deleted (empty when right). */
  verify(deleted: number): Promise<string[]>;
  dispose(): Promise<void>;
}

export interface ServiceBackend {
  readonly name: 'sqlite' | 'postgres';
  /**
   * Seeds `count` live images once (posted through the service, then copied) and answers their ids;
   * every trial starts from this state.
   */
  seed(count: number): Promise<readonly string[]>;
  trial(label: string): Promise<ServiceTrial>;
  close(): Promise<void>;
}

/** Counts that every trial must end with: `deleted` images deleted, each with one `image.delete` event. */
function countProblems(deletedImages: number, events: number, deleted: number): string[] {
  const problems: string[] = [];
  if (deletedImages !== deleted) problems.push(`database has ${deletedImages} deleted images, expected ${deleted}`);
  if (events !== deleted) problems.push(`database has ${events} image.delete events, expected ${deleted}`);
  return problems;
}

let trials = 0;

export function sqliteServiceBackend(root: string): ServiceBackend {
  const tokensFile = writeTokensFile(root);
  let template: string | null = null;
  return {
    name: 'sqlite',
    async seed(count) {
      const dir = join(root, `sqlite-template-${count}`);
      const service = await startExampleService({ dataDir: join(dir, 'data'), tokensFile, logFile: join(dir, 'service.log') });
      try {
        await postImages(service.url, Math.min(POSTED_IMAGES, count));
      } finally {
        await service.stop();
      }
      template = join(dir, 'data', 'images.db');
      const db = new Database(template);
      try {
        const ids = cloneSqliteImages(db, count);
        // Fold the WAL into the file, so copying the one file carries everything.
        db.pragma('wal_checkpoint(TRUNCATE)');
        return ids;
      } finally {
        db.close();
      }
    },
    async trial(label) {
      if (template === null) throw new Error('seed() first');
      const dir = mkdtempSync(join(root, `${label}-${++trials}-`));
      const dataDir = join(dir, 'data');
      mkdirSync(dataDir);
      const file = join(dataDir, 'images.db');
      copyFileSync(template, file);
      let servers = 0;
      return {
        dir,
        start: (side) =>
          side === 'library'
            ? startExampleService({ dataDir, tokensFile, logFile: join(dir, `service-${++servers}.log`) })
            : startBareServer({ sqlite: file }, join(dir, `bare-${++servers}.log`)),
        async verify(deleted) {
          const db = new Database(file, { readonly: true });
          try {
            const count = (sql: string) => db.prepare(sql).pluck().get() as number;
            return countProblems(
              count('SELECT count(*) FROM images WHERE deleted = 1'),
              count("SELECT count(*) FROM outbox_events WHERE type = 'image.delete'"),
              deleted,
            );
          } finally {
            db.close();
          }
        },
        async dispose() {
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    async close() {
      if (template !== null) rmSync(join(template, '..', '..'), { recursive: true, force: true });
    },
  };
}

/** Databases named `bench_<pid>_...` on the admin connection's server, dropped when done. */
export function postgresServiceBackend(root: string, admin: PostgresAdmin): ServiceBackend {
  const tokensFile = writeTokensFile(root);
  const prefix = `bench_${process.pid}`;
  const template = `${prefix}_template`;
  let seeded = false;
  return {
    name: 'postgres',
    async seed(count) {
      await admin.dropDatabase(template);
      await admin.createDatabase(template);
      const dir = join(root, 'postgres-template');
      const service = await startExampleService({
        dataDir: join(dir, 'data'),
        tokensFile,
        databaseUrl: admin.urlFor(template),
        logFile: join(dir, 'service.log'),
      });
      try {
        await postImages(service.url, Math.min(POSTED_IMAGES, count));
      } finally {
        await service.stop();
      }
      const client = await admin.connect(template);
      try {
        const ids = await clonePostgresImages(client, EXAMPLE_PG_SCHEMA, count);
        await client.query('VACUUM ANALYZE');
        seeded = true;
        return ids;
      } finally {
        await client.end();
      }
    },
    async trial(label) {
      if (!seeded) throw new Error('seed() first');
      const n = ++trials;
      const database = `${prefix}_t${n}`;
      await admin.createDatabase(database, template);
      const url = admin.urlFor(database);
      const dir = mkdtempSync(join(root, `${label}-${n}-`));
      let servers = 0;
      return {
        dir,
        start: (side) => {
          const k = ++servers;
          return side === 'library'
            ? startExampleService({ dataDir: join(dir, `data-${k}`), tokensFile, databaseUrl: url, logFile: join(dir, `service-${k}.log`) })
            : startBareServer({ postgres: url }, join(dir, `bare-${k}.log`));
        },
        async verify(deleted) {
          const client = await admin.connect(database);
          try {
            const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
            return countProblems(
              await count(`SELECT count(*) AS n FROM "${EXAMPLE_PG_SCHEMA}".images WHERE deleted`),
              await count(`SELECT count(*) AS n FROM "${EXAMPLE_PG_SCHEMA}".outbox_events WHERE type = 'image.delete'`),
              deleted,
            );
          } finally {
            await client.end();
          }
        },
        async dispose() {
          await admin.dropDatabase(database);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    async close() {
      await admin.dropDatabase(template);
    },
  };
}
