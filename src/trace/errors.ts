/**
 * The one error type the trace reader throws for anything wrong with a trace's bytes: not a
 * trace, a format version newer than this reader, corruption, a file that ends before its
 * header is complete. I/O errors from the operating system (a missing file, no permission)
 * are passed through unchanged.
 */
export class TraceError extends Error {
  /** File offset of the block or field that is wrong, when there is one. */
  readonly offset?: number;

  constructor(message: string, offset?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TraceError';
    if (offset !== undefined) this.offset = offset;
  }
}

/** A short text for anything thrown, Errors or not. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return String(error);
  } catch {
    return 'unknown error';
  }
}
