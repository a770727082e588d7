// A promise watched from outside: tests that must show a write is *not yet* done (waiting for a lock or an
// fsync) look at its state between turns of the loop instead of awaiting it.
export function tracked<T>(promise: Promise<T>): { done: boolean; error: unknown } {
  const state = { done: false, error: undefined as unknown };
  promise.then(
    () => (state.done = true),
    (e) => (state.error = e),
  );
  return state;
}
