#!/usr/bin/env node
// Entry of the `image-catalog-sqlite-migrate` command (package.json `bin`); the work is in migrate-command.ts.
import { runSqliteMigrateCommand } from '../migrate-command.js';

process.exitCode = runSqliteMigrateCommand(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
