// The errno error type: what every layer from src/vfs up throws to make the current call return an errno.
import { errnoName, type Errno } from './names.js';

/** Thrown by vfs and runtime code to make the current preview1 call return `errno` to the guest. */
export class WasiError extends Error {
  constructor(readonly errno: Errno, detail?: string) {
    super(detail ? `${errnoName(errno)}: ${detail}` : errnoName(errno));
  }
}
