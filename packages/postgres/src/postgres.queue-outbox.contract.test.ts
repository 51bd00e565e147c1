// The testkit's DataDeletionJobQueue and EventOutbox contracts, run against PostgreSQL.
import { describe } from 'vitest';
import { describeDataDeletionJobQueueContract, describeEventOutboxContract } from '@image-catalog/testkit';
import { usePostgresHarness } from './test-support/contract-harness.js';
import { postgresUnreachable, skipNote } from './test-support/test-database.js';

describe.skipIf(postgresUnreachable !== null)(`postgres${skipNote}`, () => {
  const harness = usePostgresHarness();
  describeDataDeletionJobQueueContract('postgres', harness);
  describeEventOutboxContract('postgres', harness);
});
