// The testkit contract suites, run against the SQLite adapter on a real database file.
import {
  describeDataDeletionJobQueueContract,
  describeDeleteImageBehaviour,
  describeEventOutboxContract,
  describeImageRepositoryContract,
} from '@image-catalog/testkit';
import { sqliteHarness } from './test-support/contract-harness.js';

describeImageRepositoryContract('sqlite', sqliteHarness);
describeDataDeletionJobQueueContract('sqlite', sqliteHarness);
describeEventOutboxContract('sqlite', sqliteHarness);
describeDeleteImageBehaviour('sqlite', sqliteHarness);
