// A process that starts a WAL checkpointer, lets one run finish and never stops it: it must still exit on its own.
import { createSqliteStorage, openDatabase } from '../index.js';

const [dbPath] = process.argv.slice(2);
if (dbPath === undefined) throw new Error('usage: checkpointer-child <db-file>');
const db = openDatabase(dbPath);
const { background } = createSqliteStorage(db, { checkpoint: { intervalMs: 50 } });
background.start({ logger: { debug() {}, info() {}, warn() {}, error: (obj, msg) => console.error(msg, obj) } });
const first = await background.checkpointOnce();
process.stdout.write(`${first.isOk() && first.value !== null ? 'checkpointed' : 'failed'} running=${background.running}\n`);
// No stop(), no db.close(): the unref'd timer and worker must not keep the process alive.
