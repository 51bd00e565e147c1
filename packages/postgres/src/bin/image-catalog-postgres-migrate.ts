#!/usr/bin/env node
// Entry of the `image-catalog-postgres-migrate` command (package.json `bin`); the work is in migrate-command.ts.
import { runPostgresMigrateCommand } from '../migrate-command.js';

process.exitCode = await runPostgresMigrateCommand(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
