// What the first byte of an event at the top level of a frame says it is (FORMAT.md, "Events"). Imports nothing, so
// that the replay's frame reader thread (replay/flat.ts) loads no more than it needs.

/** Whether `b` starts a msgpack bin (at the top level of a frame: a repeat event, format version 4). */
export const isBinHead = (b: number): boolean => b === 0xc4 || b === 0xc5 || b === 0xc6;
/** Whether `b` starts an int a delta event (format version 5) may be: fixints, uint and int of 8 to 32 bits. */
export const isDeltaHead = (b: number): boolean => b < 0x80 || b >= 0xe0 || (b >= 0xcc && b <= 0xce) || (b >= 0xd0 && b <= 0xd2);
/** Whether `b`, at the top level of a frame, starts a repeat event or a delta event. */
export const isRepeatHead = (b: number): boolean => isBinHead(b) || isDeltaHead(b);
