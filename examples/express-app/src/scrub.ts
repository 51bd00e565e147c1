#!/usr/bin/env node
// One-shot scrubber for cron (`pnpm scrub`): finishes due data deletions and delivers pending events, then exits.
import { ok } from 'neverthrow';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { reportDeadJobs } from './dead-jobs.js';
import { stdoutLogDestination, tolerateClosedStdout } from './log-destination.js';
import { openCatalog } from './service.js';

const USAGE = `usage: image-catalog-scrub [--requeue-dead] [--quiet]
  Runs due data-deletion jobs and delivers pending image.delete events once, using the same
  settings (environment) as the service. Exit status: 0 done, 1 storage error, 2 bad settings,
  3 done but dead-lettered jobs need an operator (rerun with --requeue-dead once the store is fixed).`;

async function main(argv: readonly string[]): Promise<number> {
  tolerateClosedStdout();
  const flags = new Set(argv);
  for (const flag of flags) {
    if (!['--requeue-dead', '--quiet', '--help', '-h'].includes(flag)) {
      process.stderr.write(`unknown option ${flag.slice(0, 64)}\n${USAGE}\n`);
      return 2;
    }
  }
  if (flags.has('--help') || flags.has('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`image-catalog-scrub: configuration error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = pino(
    { level: flags.has('--quiet') ? 'warn' : config.logLevel, base: { service: 'image-catalog-scrub' } },
    stdoutLogDestination(),
  );
  const { catalog, tempFiles, close } = await openCatalog(config, logger);
  try {
    const { scrubber, relay } = catalog;
    if (flags.has('--requeue-dead')) {
      const requeued = await scrubber.requeueDead();
      if (requeued.isErr()) {
        logger.error({ err: requeued.error.cause, error: requeued.error.message }, 'could not requeue dead jobs');
        return 1;
      }
      logger.info({ requeued: requeued.value }, 'dead jobs requeued');
    }
    const scrubbed = await scrubber.runOnce();
    await tempFiles?.sweepOnce(); // temp files of uploads a crash interrupted
    // Without a publisher (neither IMAGE_CATALOG_AMQP_URL nor IMAGE_CATALOG_EVENTS_FILE) events wait in the outbox.
    const relayed = relay === null ? ok(null) : await relay.runOnce();
    const counts = await scrubber.counts();
    if (scrubbed.isErr() || relayed.isErr() || counts.isErr()) {
      logger.error(
        { scrub: scrubbed.isErr() ? scrubbed.error : undefined, relay: relayed.isErr() ? relayed.error : undefined },
        'scrub failed',
      );
      return 1;
    }
    const { outcomes: _outcomes, ...scrubSummary } = scrubbed.value;
    const summary = { scrub: scrubSummary, relay: relayed.value, jobs: counts.value };
    logger.info(summary, 'scrub finished');
    if (!flags.has('--quiet')) process.stdout.write(`${JSON.stringify(summary)}\n`);
    reportDeadJobs(logger, counts.value.dead);
    return counts.value.dead > 0 ? 3 : 0;
  } finally {
    await close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`image-catalog-scrub: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
