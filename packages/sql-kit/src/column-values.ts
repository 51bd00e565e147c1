// Column values as SQL drivers hand them out (SQLite integers, PostgreSQL strings for bigint, MySQL JSON objects), read one way.

/** A boolean column: SQLite and MySQL give 0/1, PostgreSQL a boolean. */
export type BooleanColumn = boolean | number;
/** An integer column: a number, or the string/bigint some drivers use for 64-bit integers. */
export type IntegerColumn = number | string | bigint;
/** A time column: a `Date` (pg, mysql2), epoch milliseconds (as a number or its decimal text) or an ISO string. */
export type TimeColumn = Date | number | string;
/** A JSON column or aggregate: the parsed value, or its text. */
export type JsonColumn<T> = T | string;

export function asBoolean(value: BooleanColumn): boolean {
  return typeof value === 'boolean' ? value : value !== 0;
}

export function asInteger(value: IntegerColumn): number {
  return typeof value === 'number' ? value : Number(value);
}

export function asIntegerOrNull(value: IntegerColumn | null): number | null {
  return value === null ? null : asInteger(value);
}

export function asDate(value: TimeColumn): Date {
  if (value instanceof Date) return new Date(value.getTime());
  // A BIGINT of epoch milliseconds may arrive as its decimal text.
  return typeof value === 'string' && /^-?\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
}

export function asDateOrNull(value: TimeColumn | null): Date | null {
  return value === null ? null : asDate(value);
}

export function asJson<T>(value: JsonColumn<T>): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
