// The memory hash a recording keeps of guest memory (footer, checkpoints) and replay --verify compares.
import { createHash } from 'node:crypto';

/** sha256 (hex) of guest memory. */
export const memoryHash = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
