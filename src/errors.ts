// Errors a user can cause (bad flag, missing file, not a module, bad trace). The CLI prints the message as one
// line and exits with `exitCode`; anything else that escapes is a bug and is reported as such.
export class UserError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_USAGE) {
    super(message);
  }
}

/** wasi-trace's own failure (bad input of any kind). */
export const EXIT_USAGE = 2;
/** wasi-trace's own output could not be written (a full disk, an I/O error): sysexits' EX_IOERR. */
export const EXIT_OUTPUT = 74;
/** A guest trap, as a shell reports SIGABRT. */
export const EXIT_TRAP = 134;

/** Signals wasi-trace stops a recording for, and the exit code a shell gives a process they end (128 + n). */
export const STOP_SIGNALS: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };
/** The exit code of a run ended by `signal` (the until-failure timeout records SIGALRM). */
export const signalExitCode = (signal: string): number | undefined => ({ ...STOP_SIGNALS, SIGALRM: 142 } as Record<string, number>)[signal];
