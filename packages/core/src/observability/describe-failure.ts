// How the background workers name a failure in a log line: its kind and its message, never its cause (logged apart as `err`).

/** `"<kind>: <message>"`, e.g. `"StorageUnavailable: database is locked"`. */
export function describeFailure(failure: { readonly kind: string; readonly message: string }): string {
  return `${failure.kind}: ${failure.message}`;
}
