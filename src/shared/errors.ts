/**
 * Faults are thrown as `NxtError`: a stable `code` that callers can branch on, a message that tells the
 * user what to do, and an optional `cause`. Outcomes (a program failed, a request failed after its
 * retries) are data, never errors.
 */
export class NxtError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NxtError';
    this.code = code;
  }
}

/** Bad input from the user: a missing file, an invalid flag value, an unusable configuration. */
export class UsageError extends NxtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('usage', message, options);
    this.name = 'UsageError';
  }
}

/** Narrows an unknown caught value to an `NxtError` carrying `code`. */
export function isNxtError(value: unknown, code?: string): value is NxtError {
  return value instanceof NxtError && (code === undefined || value.code === code);
}

/** A readable one-line description of any caught value. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
