// The testkit's ImageRepository & ImageCatalog contract, run against PostgreSQL.
import { describe } from 'vitest';
import { describeImageRepositoryContract } from '@image-catalog/testkit';
import { usePostgresHarness } from './test-support/contract-harness.js';
import { postgresUnreachable, skipNote } from './test-support/test-database.js';

describe.skipIf(postgresUnreachable !== null)(`postgres${skipNote}`, () => {
  describeImageRepositoryContract('postgres', usePostgresHarness());
});
