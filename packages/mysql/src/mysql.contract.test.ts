// The four testkit suites, unchanged, against MariaDB: each test on its own fresh database.
import { describe } from 'vitest';
import {
  describeDataDeletionJobQueueContract,
  describeDeleteImageBehaviour,
  describeEventOutboxContract,
  describeImageCatalogQuotaContract,
  describeImageRepositoryContract,
} from '@image-catalog/testkit';
import { mysqlHarness } from './test-support/contract-harness.js';
import { mysqlUnreachable, skipNote } from './test-support/test-database.js';

describe.skipIf(mysqlUnreachable !== null)(`mysql${skipNote}`, () => {
  describeImageRepositoryContract('mysql', mysqlHarness);
  describeDataDeletionJobQueueContract('mysql', mysqlHarness);
  describeEventOutboxContract('mysql', mysqlHarness);
  describeDeleteImageBehaviour('mysql', mysqlHarness);
  describeImageCatalogQuotaContract('mysql', mysqlHarness);
});
