// The testkit contract suites, run against the SQLite adapter on a real database file.
import {
  describeDataDeletionJobQueueContract,
  describeDeleteImageBehaviour,
  describeEventOutboxContract,
  describeImageCatalogQuotaContract,
  describeImageRepositoryContract,
} from '@image-catalog/testkit';
import { sqliteHarness, sqliteHarnessWith } from './test-support/contract-harness.js';

describeImageRepositoryContract('sqlite', sqliteHarness);
describeDataDeletionJobQueueContract('sqlite', sqliteHarness);
describeEventOutboxContract('sqlite', sqliteHarness);
describeDeleteImageBehaviour('sqlite', sqliteHarness);
describeImageCatalogQuotaContract('sqlite', (quotas) => sqliteHarnessWith({ storage: { quotas } }));

// Durable mode with group commit: the same suites, every delete going through a batch.
const durableGroupCommit = () => sqliteHarnessWith({ database: { synchronous: 'FULL' }, storage: { groupCommit: true } });
describeImageRepositoryContract('sqlite (synchronous=FULL, group commit)', durableGroupCommit);
describeDataDeletionJobQueueContract('sqlite (synchronous=FULL, group commit)', durableGroupCommit);
describeEventOutboxContract('sqlite (synchronous=FULL, group commit)', durableGroupCommit);
describeDeleteImageBehaviour('sqlite (synchronous=FULL, group commit)', durableGroupCommit);
