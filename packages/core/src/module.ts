// The inversify module: a thin layer over createImageCatalogCore for hosts that use a container; adapters bind the ports.
import { ContainerModule, type Container } from 'inversify';
import { createImageCatalogCore } from './catalog/image-catalog-core.js';
import { OutboxRelay } from './events/outbox-relay.js';
import { defaultDeletePolicy } from './policy/default-delete-policy.js';
import { systemClock } from './ports/clock.port.js';
import { silentLogger } from './ports/logger.port.js';
import { TOKENS, type Token } from './tokens.js';

/**
 * Binds `ImageCatalogCore` (built by `createImageCatalogCore` from the bound ports) and, from it,
 * `DeleteImage`, `DataDeletionWorker`, `Scrubber`, `RestoreImage` and `OutboxRelay` (which needs
 * `EventPublisher`), plus defaults for the policy (Glance's rule), the clock (system time), the
 * logger (silent) and every options token, unless already bound. The host binds the storage
 * ports, usually with an adapter package's module: `ImageRepository`, `DataDeletionJobQueue`,
 * `EventOutbox`, `ImageDataStore` (and `ImageCatalog`, `EventPublisher`, `StorageBackgroundWork`).
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

  bind(TOKENS.ImageCatalogCore)
    .toDynamicValue((ctx) =>
      createImageCatalogCore({
        storage: {
          images: ctx.get(TOKENS.ImageRepository),
          jobs: ctx.get(TOKENS.DataDeletionJobQueue),
          outbox: ctx.get(TOKENS.EventOutbox),
          background: ctx.get(TOKENS.StorageBackgroundWork, { optional: true }),
        },
        dataStore: ctx.get(TOKENS.ImageDataStore),
        publisher: ctx.get(TOKENS.EventPublisher, { optional: true }) ?? null,
        policy: ctx.get(TOKENS.DeletePolicy),
        clock: ctx.get(TOKENS.Clock),
        logger: ctx.get(TOKENS.Logger),
        deleteImage: ctx.get(TOKENS.DeleteImageOptions),
        restoreImage: ctx.get(TOKENS.RestoreImageOptions),
        dataDeletion: ctx.get(TOKENS.DataDeletionWorkerOptions),
        scrubber: ctx.get(TOKENS.ScrubberOptions),
        relay: ctx.get(TOKENS.OutboxRelayOptions),
      }),
    )
    .inSingletonScope();

  bind(TOKENS.DeleteImage).toDynamicValue((ctx) => ctx.get(TOKENS.ImageCatalogCore).deleteImage);
  bind(TOKENS.RestoreImage).toDynamicValue((ctx) => ctx.get(TOKENS.ImageCatalogCore).restoreImage);
  bind(TOKENS.DataDeletionWorker).toDynamicValue((ctx) => ctx.get(TOKENS.ImageCatalogCore).dataDeletion);
  bind(TOKENS.Scrubber).toDynamicValue((ctx) => ctx.get(TOKENS.ImageCatalogCore).scrubber);
  // Lazy, so a host may bind its EventPublisher after loading the module: core's own relay when
  // the publisher was bound before core was first resolved, else one built now.
  bind(TOKENS.OutboxRelay)
    .toDynamicValue((ctx) => {
      const core = ctx.get(TOKENS.ImageCatalogCore);
      if (core.relay !== null) return core.relay;
      const publisher = ctx.get(TOKENS.EventPublisher, { optional: true });
      if (publisher === undefined)
        throw new Error('OutboxRelay needs an EventPublisher: bind TOKENS.EventPublisher (e.g. a CallbackEventPublisher) first.');
      return new OutboxRelay(
        ctx.get(TOKENS.EventOutbox),
        publisher,
        ctx.get(TOKENS.Clock),
        ctx.get(TOKENS.Logger),
        ctx.get(TOKENS.OutboxRelayOptions),
      );
    })
    .inSingletonScope();
});

/** `container.get` with the token's type: `resolve(container, TOKENS.DeleteImage)` is a `DeleteImage`. */
export function resolve<T>(container: Container, token: Token<T>): T {
  return container.get<T>(token);
}
