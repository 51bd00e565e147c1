#!/usr/bin/env node
// The `image-catalog-mysql-migrate` executable: runs the migrate command on the process's arguments.
import { runMigrateCommand } from './migrate-command.js';

process.exitCode = await runMigrateCommand(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
