// imageCatalogCoreModule's lifecycle bindings (scrubber, restore, relay) over ports bound to core's in-test storage.
import { Container, ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import { OutboxRelay } from '../events/outbox-relay.js';
import { opaqueImageIdFormat } from '../image/image-id.js';
import { imageCatalogCoreModule, resolve } from '../module.js';
import { RestoreImage } from '../restore-image/restore-image.use-case.js';
import { Scrubber } from '../scrubber/scrubber.js';
import { adminPrincipal } from '../test-support/principals.js';
import { RecordingPublisher } from '../test-support/recording-publisher.js';
import { TestDataStore } from '../test-support/test-data-store.js';
import { createTestStorage } from '../test-support/test-storage.js';
import { TOKENS } from '../tokens.js';

const admin = adminPrincipal();

/** Binds the storage ports the core module needs, as an adapter package's module does. */
function storageModule(): ContainerModule {
  const storage = createTestStorage();
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ImageRepository).toConstantValue(storage.images);
    bind(TOKENS.DataDeletionJobQueue).toConstantValue(storage.jobs);
    bind(TOKENS.EventOutbox).toConstantValue(storage.outbox);
    bind(TOKENS.ImageDataStore).toConstantValue(new TestDataStore());
  });
}

async function container(): Promise<Container> {
  const c = new Container();
  c.load(storageModule(), imageCatalogCoreModule);
  return c;
}

describe('imageCatalogCoreModule: data lifecycle bindings', () => {
  it('binds the scrubber and RestoreImage as singletons', async () => {
    const c = await container();
    expect(resolve(c, TOKENS.Scrubber)).toBeInstanceOf(Scrubber);
    expect(resolve(c, TOKENS.Scrubber)).toBe(resolve(c, TOKENS.Scrubber));
    expect(resolve(c, TOKENS.RestoreImage)).toBeInstanceOf(RestoreImage);
    expect((await resolve(c, TOKENS.Scrubber).runOnce())._unsafeUnwrap().claimed).toBe(0);
  });

  it('binds the outbox relay lazily: it resolves once an EventPublisher is bound', async () => {
    const c = await container();
    expect(() => resolve(c, TOKENS.OutboxRelay)).toThrow(/EventPublisher/);
    c.bind(TOKENS.EventPublisher).toConstantValue(new RecordingPublisher());
    expect(resolve(c, TOKENS.OutboxRelay)).toBeInstanceOf(OutboxRelay);
  });

  it('hands options to the scrubber and the relay', async () => {
    const c = new Container();
    c.bind(TOKENS.ScrubberOptions).toConstantValue({ batchSize: 0 });
    c.bind(TOKENS.OutboxRelayOptions).toConstantValue({ batchSize: 0 });
    c.bind(TOKENS.EventPublisher).toConstantValue(new RecordingPublisher());
    c.load(storageModule(), imageCatalogCoreModule);
    expect(() => resolve(c, TOKENS.Scrubber)).toThrow(/batchSize/);
    expect(() => resolve(c, TOKENS.OutboxRelay)).toThrow(/batchSize/);
  });

  it("validates restore ids with the delete's id format unless RestoreImageOptions has its own", async () => {
    const c = new Container();
    c.bind(TOKENS.DeleteImageOptions).toConstantValue({ idFormat: opaqueImageIdFormat() });
    c.load(storageModule(), imageCatalogCoreModule);
    const failure = (await resolve(c, TOKENS.RestoreImage).execute({ imageId: 'ubuntu-22.04', principal: admin }))._unsafeUnwrapErr();
    expect(failure.kind).toBe('ImageNotFound');
  });
});
