// Where "now" comes from, so tests and the scrubber can control time.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
