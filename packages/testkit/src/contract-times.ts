// The times the storage contract suites write at: T0 is when fixtures are created, T1–T3 follow ten seconds apart.
import { secondsAfter, TEST_EPOCH } from './fixtures/test-clock.js';

export const T0 = TEST_EPOCH;
export const T1 = secondsAfter(T0, 10);
export const T2 = secondsAfter(T0, 20);
export const T3 = secondsAfter(T0, 30);
