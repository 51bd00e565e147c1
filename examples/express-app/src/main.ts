// Entry point of the example service (`pnpm start`): reads the settings, starts, and stops cleanly on SIGTERM/SIGINT.
import { pino } from 'pino';
import { ConfigError, loadConfig, type ServiceConfig } from './config.js';
import { stdoutLogDestination, tolerateClosedStdout } from './log-destination.js';
import { startService, type RunningService } from './service.js';

function printTokens(config: ServiceConfig, url: string): void {
  if (!config.demoTokens) {
    process.stdout.write(`image-catalog: ${config.tokens.size} token(s) from IMAGE_CATALOG_TOKENS\n`);
    return;
  }
  const lines = [...config.tokens].map(
    ([token, p]) => `  ${token.padEnd(20)} user=${p.userId} project=${p.projectId} roles=${p.roles.join(',')}`,
  );
  process.stdout.write(
    [
      '',
      `image-catalog example service on ${url} (API: ${url}/v2)`,
      'Demo tokens (set IMAGE_CATALOG_TOKENS to a JSON file to use your own):',
      ...lines,
      `Try: curl -i -X DELETE -H 'X-Auth-Token: demo-member-token' ${url}/v2/images/<image-id>`,
      '',
    ].join('\n') + '\n',
  );
  if (!['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
    process.stdout.write(
      `WARNING: listening on ${config.host} with the well-known demo tokens; anyone who can reach it can delete images.\n`,
    );
  }
}

async function main(): Promise<void> {
  tolerateClosedStdout();
  let config: ServiceConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`image-catalog: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino(
    { level: config.logLevel, base: { service: 'image-catalog' }, redact: ['req.headers["x-auth-token"]', 'req.headers.authorization'] },
    stdoutLogDestination(),
  );
  // Handlers go in before the service announces it listens: a SIGTERM sent as soon as it is ready
  // must stop it gracefully, not find the default action (immediate death) still in place.
  let service: RunningService | null = null;
  let signals = 0;
  const stop = (running: RunningService) =>
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    if (service !== null) void stop(service);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  service = await startService(config, logger);
  printTokens(config, service.url);
  // A signal that came while starting: stop now that there is something to stop.
  if (signals > 0) void stop(service);
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled rejection');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`image-catalog: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
