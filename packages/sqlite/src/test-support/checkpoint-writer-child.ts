// A process that commits images as fast as it can while its WAL checkpointer restarts the log again and again; it prints each committed id, and is killed with SIGKILL.
import { createSqliteStorage, openDatabase } from '../index.js';
import { sampleImage, uuidFor } from './fixtures.js';

const [dbPath, prefix] = process.argv.slice(2);
if (dbPath === undefined || prefix === undefined) throw new Error('usage: checkpoint-writer-child <db-file> <id-prefix>');
const db = openDatabase(dbPath);
const storage = createSqliteStorage(db, { checkpoint: { intervalMs: 5, maxWalBytes: 64 * 1024 } });
const say = (line: string) => process.stdout.write(`${line}\n`);
storage.background.start({
  logger: {
    debug: (_obj, msg) => (msg?.includes('restarted') ? say('restarted') : undefined),
    info() {},
    warn() {},
    error: (obj, msg) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
  },
});
for (let n = 1; ; n++) {
  const id = uuidFor(n, Number(prefix));
  const created = await storage.catalog.createImage(sampleImage(id), new Date());
  if (created.isErr()) throw new Error(`createImage failed: ${JSON.stringify(created.error)}`);
  say(`committed ${id}`);
  // Let the loop run between commits, as a server does between requests.
  if (n % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
}
