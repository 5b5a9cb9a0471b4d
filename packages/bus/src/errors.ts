// Errors a handler throws to steer what happens to its message.

/**
 * The message can never be handled (invalid content, a reference to something that will never
 * exist): dead-letter it now instead of retrying it. Any other error is retried with backoff.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

export function isPermanentError(err: unknown): err is PermanentError {
  return err instanceof PermanentError;
}
