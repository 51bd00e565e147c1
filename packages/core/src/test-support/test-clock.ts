// A clock core's tests set and move themselves.
import type { Clock } from '../ports/clock.port.js';

/** A whole second, so times survive ISO formatting without fractions. */
export const TEST_EPOCH = new Date('2024-05-01T12:00:00.000Z');

export class TestClock implements Clock {
  #ms = TEST_EPOCH.getTime();

  now(): Date {
    return new Date(this.#ms);
  }

  advanceSeconds(seconds: number): void {
    this.#ms += seconds * 1000;
  }
}
