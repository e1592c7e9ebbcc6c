// The public TypeScript API of wasi-trace.
export { run, type GuestOptions, type RunEnd } from './run.js';
export { UserError, EXIT_TRAP, EXIT_USAGE, EXIT_OUTPUT } from './errors.js';
export { OutputFile, OutputError, type WriteFunction } from './files.js';
export type { RuntimeKind, PreopenSpec } from './providers.js';
export { FileHandle, FileNode, DirectoryNode, SymlinkNode, type Stat } from './vfs/types.js';
export { BufferInput, CallbackOutput } from './vfs/stream.js';
export { memoryDirectory, anonymousFile, copyHostTree, MemoryDirectory, MemoryFile } from './vfs/memory/index.js';
export { openHostDirectory } from './vfs/host/index.js';
export { record, RECORD_LEVEL, type RecordOptions, type RecordResult } from './record/record.js';
export { guestSetup, type GuestSetup } from './record/setup.js';
export {
  untilFail, failure, DEFAULT_FAIL_ON, type HuntOptions, type HuntResult, type FailedRun, type FailCondition,
} from './record/until-fail.js';
export { CHAOS_KNOBS, DEFAULT_KNOBS, parseKnobs, type ChaosKnob, type ChaosSettings } from './runtime/chaos.js';
export {
  replay, DivergenceError, formatDivergence, type ReplayOptions, type ReplayResult, type DivergenceReport,
} from './replay/replay.js';
export type { RecordedEnd, TraceHeader, TraceFooter, ImportEntry } from './trace/header.js';
export { TraceReader, TraceError } from './trace/reader.js';
