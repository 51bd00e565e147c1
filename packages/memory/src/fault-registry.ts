// A list of armed faults, each firing a bounded number of times: shared by the store and the data store.

/** A fault that was armed; lets a test see how often it fired and disarm it early. */
export interface InjectedFault {
  /** How many calls it has failed so far. */
  readonly fired: number;
  /** How many more calls it will fail (`Infinity` until removed). */
  readonly remaining: number;
  /** Disarms it; calls after this succeed (unless another fault matches). */
  remove(): void;
}

interface Entry<S> {
  readonly spec: S;
  remaining: number;
  fired: number;
}

/** Faults in the order they were armed; the first armed fault that matches a call fires. */
export class FaultRegistry<S> {
  #entries: Entry<S>[] = [];

  /** Arms `spec` for `times` calls (default 1; `Infinity` until removed). */
  add(spec: S, times = 1): InjectedFault {
    if (!(times >= 1) || (Number.isFinite(times) && !Number.isInteger(times))) {
      // A fault armed for zero or a fractional number of calls is a mistake in the test, not a fault.
      throw new RangeError('fault injection: times must be a positive integer or Infinity');
    }
    const entry: Entry<S> = { spec, remaining: times, fired: 0 };
    this.#entries.push(entry);
    const entries = () => this.#entries;
    const drop = () => {
      this.#entries = this.#entries.filter((e) => e !== entry);
    };
    return {
      get fired() {
        return entry.fired;
      },
      get remaining() {
        return entries().includes(entry) ? entry.remaining : 0;
      },
      remove: drop,
    };
  }

  /** Fires (and uses up one call of) the first armed fault that `matches`, if any. */
  take(matches: (spec: S) => boolean): S | undefined {
    const entry = this.#entries.find((e) => matches(e.spec));
    if (entry === undefined) return undefined;
    entry.fired += 1;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#entries = this.#entries.filter((e) => e !== entry);
    return entry.spec;
  }

  clear(): void {
    this.#entries = [];
  }

  /** Faults still armed. */
  get size(): number {
    return this.#entries.length;
  }
}
