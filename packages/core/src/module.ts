// The inversify module: binds the use case and core services; adapters bind the ports.
import { ContainerModule, type Container } from 'inversify';
import { DataDeletionWorker } from './data-deletion/data-deletion-worker.js';
import { DeleteImage } from './delete-image/delete-image.use-case.js';
import { OutboxRelay } from './events/outbox-relay.js';
import { RestoreImage } from './restore-image/restore-image.use-case.js';
import { Scrubber } from './scrubber/scrubber.js';
import { defaultDeletePolicy } from './policy/default-delete-policy.js';
import { systemClock } from './ports/clock.port.js';
import { silentLogger } from './ports/logger.port.js';
import { TOKENS, type Token } from './tokens.js';

/**
 * Binds `DeleteImage`, `DataDeletionWorker`, `Scrubber`, `RestoreImage` and (lazily: it needs
 * `EventPublisher`) `OutboxRelay`, plus defaults for the policy (Glance's rule),
 * the clock (system time), the logger (silent) and options (immediate mode, UUID ids) unless
 * already bound. The host binds the storage ports, usually with an adapter package's module:
 * `ImageRepository`, `DataDeletionJobQueue`, `ImageDataStore` (and `EventOutbox`, `ImageCatalog`).
 */
export const imageCatalogCoreModule = new ContainerModule(({ bind, isBound }) => {
  if (!isBound(TOKENS.DeletePolicy)) bind(TOKENS.DeletePolicy).toConstantValue(defaultDeletePolicy);
  if (!isBound(TOKENS.Clock)) bind(TOKENS.Clock).toConstantValue(systemClock);
  if (!isBound(TOKENS.Logger)) bind(TOKENS.Logger).toConstantValue(silentLogger);
  if (!isBound(TOKENS.DeleteImageOptions)) bind(TOKENS.DeleteImageOptions).toConstantValue({});
  if (!isBound(TOKENS.DataDeletionWorkerOptions)) bind(TOKENS.DataDeletionWorkerOptions).toConstantValue({});
  if (!isBound(TOKENS.ScrubberOptions)) bind(TOKENS.ScrubberOptions).toConstantValue({});
  if (!isBound(TOKENS.OutboxRelayOptions)) bind(TOKENS.OutboxRelayOptions).toConstantValue({});
  if (!isBound(TOKENS.RestoreImageOptions)) bind(TOKENS.RestoreImageOptions).toConstantValue({});

  bind(TOKENS.DataDeletionWorker)
    .toDynamicValue(
      (ctx) =>
        new DataDeletionWorker(
          ctx.get(TOKENS.ImageDataStore),
          ctx.get(TOKENS.DataDeletionJobQueue),
          ctx.get(TOKENS.Clock),
          ctx.get(TOKENS.Logger),
          ctx.get(TOKENS.DataDeletionWorkerOptions),
        ),
    )
    .inSingletonScope();

  bind(TOKENS.DeleteImage)
    .toDynamicValue(
      (ctx) =>
        new DeleteImage(
          ctx.get(TOKENS.ImageRepository),
          ctx.get(TOKENS.DeletePolicy),
          ctx.get(TOKENS.Clock),
          ctx.get(TOKENS.DataDeletionWorker),
          ctx.get(TOKENS.Logger),
          ctx.get(TOKENS.DeleteImageOptions),
        ),
    )
    .inSingletonScope();

  bind(TOKENS.Scrubber)
    .toDynamicValue(
      (ctx) =>
        new Scrubber(
          ctx.get(TOKENS.DataDeletionJobQueue),
          ctx.get(TOKENS.DataDeletionWorker),
          ctx.get(TOKENS.Clock),
          ctx.get(TOKENS.Logger),
          ctx.get(TOKENS.ScrubberOptions),
        ),
    )
    .inSingletonScope();

  // Lazy: resolved only when asked for, so a host without an EventPublisher can still load the module.
  bind(TOKENS.OutboxRelay)
    .toDynamicValue((ctx) => {
      const publisher = ctx.get(TOKENS.EventPublisher, { optional: true });
      if (publisher === undefined) {
        throw new Error('OutboxRelay needs an EventPublisher: bind TOKENS.EventPublisher (e.g. a CallbackEventPublisher) first.');
      }
      return new OutboxRelay(ctx.get(TOKENS.EventOutbox), publisher, ctx.get(TOKENS.Clock), ctx.get(TOKENS.Logger), ctx.get(TOKENS.OutboxRelayOptions));
    })
    .inSingletonScope();

  // Restores validate ids exactly like deletes unless the host gives RestoreImage its own format.
  bind(TOKENS.RestoreImage)
    .toDynamicValue((ctx) => {
      const restoreOptions = ctx.get(TOKENS.RestoreImageOptions);
      const idFormat = restoreOptions.idFormat ?? ctx.get(TOKENS.DeleteImageOptions).idFormat;
      return new RestoreImage(ctx.get(TOKENS.ImageRepository), ctx.get(TOKENS.Clock), ctx.get(TOKENS.Logger), idFormat ? { ...restoreOptions, idFormat } : restoreOptions);
    })
    .inSingletonScope();
});

/** `container.get` with the token's type: `resolve(container, TOKENS.DeleteImage)` is a `DeleteImage`. */
export function resolve<T>(container: Container, token: Token<T>): T {
  return container.get<T>(token);
}
