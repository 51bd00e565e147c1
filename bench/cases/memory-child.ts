// Child process of the memory case: deletes every image of one database on one side and reports heap and RSS growth.
import { openDatabase } from '@image-catalog/sqlite';
import { baselineOperation, libraryOperation } from '../support/operations.js';
import { emptyRuns } from '../support/stats.js';
import { checkDatabase, timeSequential } from '../support/timing.js';

/** What the child prints, as one JSON line on stdout. */
export interface MemoryChildReport {
  readonly measuredDeletes: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly problems: readonly string[];
}

const [path, side, warmRaw] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (path === undefined || (side !== 'library' && side !== 'baseline') || gc === undefined) {
  throw new Error('usage: node --expose-gc --conditions=source --import tsx memory-child.ts <db> library|baseline <warm-up deletes>');
}
const db = openDatabase(path, { synchronous: 'NORMAL' });
const imageIds = db.prepare('SELECT id FROM images ORDER BY seq').pluck().all() as string[];
const warm = Math.min(Number(warmRaw ?? 0), imageIds.length);
const op = side === 'library' ? libraryOperation(db) : baselineOperation(db);
const runs = emptyRuns();

// The warm-up deletes compile the code paths and grow the heap to its working size first.
await timeSequential(imageIds.slice(0, warm), op, runs);
const fullGc = () => {
  gc();
  gc();
};
fullGc();
const before = process.memoryUsage();
await timeSequential(imageIds.slice(warm), op, runs);
fullGc();
const after = process.memoryUsage();
checkDatabase(db, imageIds.length, runs);
db.close();

const report: MemoryChildReport = {
  measuredDeletes: imageIds.length - warm,
  rssBytes: after.rss - before.rss,
  heapUsedBytes: after.heapUsed - before.heapUsed,
  problems: [...runs.problems].map(([problem, n]) => `${problem} ×${n}`),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
