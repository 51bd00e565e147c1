// The testkit's DeleteImage behaviour suite (behaviour.md §2–§5), run with the PostgreSQL adapter underneath.
import { describe } from 'vitest';
import { describeDeleteImageBehaviour } from '@image-catalog/testkit';
import { usePostgresHarness } from './test-support/contract-harness.js';
import { postgresUnreachable, skipNote } from './test-support/test-database.js';

describe.skipIf(postgresUnreachable !== null)(`postgres${skipNote}`, () => {
  describeDeleteImageBehaviour('postgres', usePostgresHarness());
});
