// A port's `limit` as a PostgreSQL LIMIT value.

/** Absent or infinite is `null` (LIMIT ALL), nonsense (NaN) is 0, anything else a whole number from 0. */
export function sqlLimit(limit: number | undefined): number | null {
  if (limit === undefined || limit === Infinity) return null;
  if (Number.isNaN(limit)) return 0;
  return Math.min(Math.max(0, Math.floor(limit)), Number.MAX_SAFE_INTEGER);
}
