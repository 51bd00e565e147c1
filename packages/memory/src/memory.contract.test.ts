// Runs every testkit contract suite against the in-memory adapters.
import {
  describeDataDeletionJobQueueContract,
  describeDeleteImageBehaviour,
  describeEventOutboxContract,
  describeImageCatalogQuotaContract,
  describeImageDataStoreContract,
  describeImageRepositoryContract,
  type StorageFaultInjection,
  type StorageHarness,
} from '@image-catalog/testkit';
import type { ImageQuotas } from '@image-catalog/core/authoring';
import { MemoryImageDataStore } from './memory-image-data-store.js';
import { createMemoryStorage } from './memory-storage.js';
import type { MemoryStoreStep } from './memory-store-faults.js';

/** Where "mid-transaction" is for each method: after part of its writes, before the rest. */
const MID_TRANSACTION: Partial<Record<StorageFaultInjection['method'], MemoryStoreStep>> = {
  deleteImage: 'jobs',
  restoreImage: 'jobs',
  purgeDeletedChildren: 'children',
  complete: 'location',
};

function memoryHarness(quotas?: ImageQuotas): StorageHarness {
  const { faults, ...ports } = createMemoryStorage({ quotas });
  return {
    ...ports,
    injectFault: ({ method, error, midTransaction, times }) => {
      faults.inject({ method, error, times, step: midTransaction ? (MID_TRANSACTION[method] ?? 'commit') : 'begin' });
    },
    close: async () => {},
  };
}

describeImageRepositoryContract('memory', memoryHarness);
describeDataDeletionJobQueueContract('memory', memoryHarness);
describeEventOutboxContract('memory', memoryHarness);
describeDeleteImageBehaviour('memory', memoryHarness);
describeImageCatalogQuotaContract('memory', memoryHarness);
describeImageDataStoreContract('memory', () => {
  const store = new MemoryImageDataStore();
  return {
    store,
    exists: (url) => store.has(url),
    missingUrl: (imageId) => store.newUrl(imageId),
    close: async () => {},
  };
});
