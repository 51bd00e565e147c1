// The testkit's ImageRepository & ImageCatalog contract, run against PostgreSQL.
import { describe } from 'vitest';
import { describeImageCatalogQuotaContract, describeImageRepositoryContract } from '@image-catalog/testkit';
import { usePostgresHarness } from './test-support/contract-harness.js';
import { postgresUnreachable, skipNote } from './test-support/test-database.js';

describe.skipIf(postgresUnreachable !== null)(`postgres${skipNote}`, () => {
  describeImageRepositoryContract('postgres', usePostgresHarness());
});

describe.skipIf(postgresUnreachable !== null)(`postgres${skipNote}`, () => {
  // The harness's pool has 8 connections: each racing call runs on its own.
  describeImageCatalogQuotaContract('postgres', usePostgresHarness());
});
