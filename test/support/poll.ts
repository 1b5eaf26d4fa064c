/**
 * The one way the tests wait for something they cannot be told about: ask again until it holds.
 * A timeout names what was waited for and, with `onTimeout`, what was seen instead.
 */
export interface PollOptions {
  timeoutMs?: number;
  /** How often to ask; 100 ms by default. */
  intervalMs?: number;
  /** What to add to the timeout's message: what was there instead. */
  onTimeout?: () => Promise<string> | string;
}

/** Resolves with the first truthy value of `check` (an error thrown by it counts as "not yet"). */
export async function until<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, options: PollOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const value = await Promise.resolve()
      .then(check)
      .catch((err: unknown) => {
        lastError = err;
        return undefined;
      });
    if (value) return value;
    if (Date.now() > deadline) {
      const seen = options.onTimeout ? await Promise.resolve().then(options.onTimeout).catch((err: unknown) => `(could not be read: ${err instanceof Error ? err.message : String(err)})`) : undefined;
      const failed = lastError !== undefined ? `; the last try failed: ${(lastError instanceof Error ? lastError.message : String(lastError)).split('\n')[0]}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${seen !== undefined ? `; instead:\n${seen}` : ''}${failed}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
