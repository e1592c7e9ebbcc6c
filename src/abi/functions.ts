// The declarative schema of all 46 wasi_snapshot_preview1 functions, in spec order
// (the spec's wasi_snapshot_preview1.witx). Everything that needs to know what a call means —
// the runtime's marshalling, the proxy's memory-write capture, the replayer's checks, the dump — reads it here.
import { SCALARS, STRUCTS, type MemType, type ScalarType, type StructType } from './types.js';

export const MODULE_NAME = 'wasi_snapshot_preview1';

/** How a parameter is passed and what the call does with the memory it names. */
export type Param =
  /** One wasm value: an fd, enum, flag set or integer. */
  | { readonly name: string; readonly role: 'scalar'; readonly type: ScalarType }
  /** A UTF-8 string the call reads: wasm params `name`, `name_len`. */
  | { readonly name: string; readonly role: 'string' }
  /**
   * An iovec array (wasm params `name`, `name_len`). dir 'in': the call reads the buffers (ciovec);
   * dir 'out': the call fills them, in order, with as many bytes as the out-param `total` says.
   */
  | { readonly name: string; readonly role: 'iovecs'; readonly dir: 'in' | 'out'; readonly total?: string }
  /**
   * A byte buffer the call fills (wasm params `name`, `name_len`): up to the value of out-param `used`
   * when given, else all of it. `dirents`: it holds dirent structs, each followed by its name (fd_readdir).
   */
  | { readonly name: string; readonly role: 'buffer'; readonly used?: string; readonly dirents?: true }
  /** A pointer the call writes one value of `type` to, on success. */
  | { readonly name: string; readonly role: 'out'; readonly type: MemType }
  /**
   * A pointer to `count` structs (count: the name of another param, scalar or out). An 'out' array whose count is
   * an out-param (what the call wrote) names in `capacity` the scalar param that says how many structs it holds.
   */
  | {
    readonly name: string; readonly role: 'array'; readonly dir: 'in' | 'out'; readonly type: StructType; readonly count: string;
    readonly capacity?: string;
  }
  /** args_get/environ_get: the pointer array and the string buffer, sized by the run's args or environment. */
  | { readonly name: string; readonly role: 'argv' | 'argvBuf'; readonly list: 'args' | 'environ' };

export type Family = 'args' | 'clock' | 'fd' | 'path' | 'poll' | 'proc' | 'random' | 'sock';

export interface FunctionDef {
  /** Index in spec order; the trace refers to preview1 functions by this. */
  readonly index: number;
  readonly name: string;
  readonly family: Family;
  readonly params: readonly Param[];
  /** 'errno': returns an i32 errno; 'none': proc_exit, which does not return. */
  readonly result: 'errno' | 'none';
}

/** One lowered wasm parameter. */
export interface WasmParam {
  readonly name: string;
  readonly wasm: 'i32' | 'i64';
  /** The schema param it belongs to, and which half of a pointer+length pair it is. */
  readonly param: Param;
  readonly part: 'value' | 'ptr' | 'len';
}

const T = SCALARS;
const scalarP = (name: string, type: ScalarType): Param => ({ name, role: 'scalar', type });
const fd = (name = 'fd'): Param => scalarP(name, T.fd);
const str = (name: string): Param => ({ name, role: 'string' });
const out = (name: string, type: MemType): Param => ({ name, role: 'out', type });

type Def = [name: string, family: Family, params: Param[], result?: 'none'];
const DEFS: Def[] = [
  ['args_get', 'args', [{ name: 'argv', role: 'argv', list: 'args' }, { name: 'argv_buf', role: 'argvBuf', list: 'args' }]],
  ['args_sizes_get', 'args', [out('argc', T.size), out('argv_buf_size', T.size)]],
  ['environ_get', 'args', [{ name: 'environ', role: 'argv', list: 'environ' }, { name: 'environ_buf', role: 'argvBuf', list: 'environ' }]],
  ['environ_sizes_get', 'args', [out('environc', T.size), out('environ_buf_size', T.size)]],
  ['clock_res_get', 'clock', [scalarP('id', T.clockid), out('resolution', T.timestamp)]],
  ['clock_time_get', 'clock', [scalarP('id', T.clockid), scalarP('precision', T.timestamp), out('time', T.timestamp)]],
  ['fd_advise', 'fd', [fd(), scalarP('offset', T.filesize), scalarP('len', T.filesize), scalarP('advice', T.advice)]],
  ['fd_allocate', 'fd', [fd(), scalarP('offset', T.filesize), scalarP('len', T.filesize)]],
  ['fd_close', 'fd', [fd()]],
  ['fd_datasync', 'fd', [fd()]],
  ['fd_fdstat_get', 'fd', [fd(), out('stat', STRUCTS.fdstat)]],
  ['fd_fdstat_set_flags', 'fd', [fd(), scalarP('flags', T.fdflags)]],
  ['fd_fdstat_set_rights', 'fd', [fd(), scalarP('fs_rights_base', T.rights), scalarP('fs_rights_inheriting', T.rights)]],
  ['fd_filestat_get', 'fd', [fd(), out('buf', STRUCTS.filestat)]],
  ['fd_filestat_set_size', 'fd', [fd(), scalarP('size', T.filesize)]],
  ['fd_filestat_set_times', 'fd', [fd(), scalarP('atim', T.timestamp), scalarP('mtim', T.timestamp), scalarP('fst_flags', T.fstflags)]],
  ['fd_pread', 'fd', [fd(), { name: 'iovs', role: 'iovecs', dir: 'out', total: 'nread' }, scalarP('offset', T.filesize), out('nread', T.size)]],
  ['fd_prestat_get', 'fd', [fd(), out('buf', STRUCTS.prestat)]],
  ['fd_prestat_dir_name', 'fd', [fd(), { name: 'path', role: 'buffer' }]],
  ['fd_pwrite', 'fd', [fd(), { name: 'iovs', role: 'iovecs', dir: 'in' }, scalarP('offset', T.filesize), out('nwritten', T.size)]],
  ['fd_read', 'fd', [fd(), { name: 'iovs', role: 'iovecs', dir: 'out', total: 'nread' }, out('nread', T.size)]],
  ['fd_readdir', 'fd', [fd(), { name: 'buf', role: 'buffer', used: 'bufused', dirents: true }, scalarP('cookie', T.dircookie), out('bufused', T.size)]],
  ['fd_renumber', 'fd', [fd(), fd('to')]],
  ['fd_seek', 'fd', [fd(), scalarP('offset', T.filedelta), scalarP('whence', T.whence), out('newoffset', T.filesize)]],
  ['fd_sync', 'fd', [fd()]],
  ['fd_tell', 'fd', [fd(), out('offset', T.filesize)]],
  ['fd_write', 'fd', [fd(), { name: 'iovs', role: 'iovecs', dir: 'in' }, out('nwritten', T.size)]],
  ['path_create_directory', 'path', [fd(), str('path')]],
  ['path_filestat_get', 'path', [fd(), scalarP('flags', T.lookupflags), str('path'), out('buf', STRUCTS.filestat)]],
  ['path_filestat_set_times', 'path', [fd(), scalarP('flags', T.lookupflags), str('path'), scalarP('atim', T.timestamp), scalarP('mtim', T.timestamp), scalarP('fst_flags', T.fstflags)]],
  ['path_link', 'path', [fd('old_fd'), scalarP('old_flags', T.lookupflags), str('old_path'), fd('new_fd'), str('new_path')]],
  ['path_open', 'path', [fd(), scalarP('dirflags', T.lookupflags), str('path'), scalarP('oflags', T.oflags), scalarP('fs_rights_base', T.rights), scalarP('fs_rights_inheriting', T.rights), scalarP('fdflags', T.fdflags), out('opened_fd', T.fd)]],
  ['path_readlink', 'path', [fd(), str('path'), { name: 'buf', role: 'buffer', used: 'bufused' }, out('bufused', T.size)]],
  ['path_remove_directory', 'path', [fd(), str('path')]],
  ['path_rename', 'path', [fd(), str('old_path'), fd('new_fd'), str('new_path')]],
  ['path_symlink', 'path', [str('old_path'), fd(), str('new_path')]],
  ['path_unlink_file', 'path', [fd(), str('path')]],
  ['poll_oneoff', 'poll', [
    { name: 'in', role: 'array', dir: 'in', type: STRUCTS.subscription, count: 'nsubscriptions' },
    { name: 'out', role: 'array', dir: 'out', type: STRUCTS.event, count: 'nevents', capacity: 'nsubscriptions' },
    scalarP('nsubscriptions', T.size), out('nevents', T.size)]],
  ['proc_exit', 'proc', [scalarP('rval', T.exitcode)], 'none'],
  ['proc_raise', 'proc', [scalarP('sig', T.signal)]],
  ['sched_yield', 'proc', []],
  ['random_get', 'random', [{ name: 'buf', role: 'buffer' }]],
  ['sock_accept', 'sock', [fd(), scalarP('flags', T.fdflags), out('ro_fd', T.fd)]],
  ['sock_recv', 'sock', [fd(), { name: 'ri_data', role: 'iovecs', dir: 'out', total: 'ro_datalen' }, scalarP('ri_flags', T.riflags), out('ro_datalen', T.size), out('ro_flags', T.roflags)]],
  ['sock_send', 'sock', [fd(), { name: 'si_data', role: 'iovecs', dir: 'in' }, scalarP('si_flags', T.siflags), out('so_datalen', T.size)]],
  ['sock_shutdown', 'sock', [fd(), scalarP('how', T.sdflags)]],
];

export const FUNCTIONS: readonly FunctionDef[] = DEFS.map(([name, family, params, result], index) => ({
  index, name, family, params, result: result ?? 'errno',
}));

export const FUNCTIONS_BY_NAME: ReadonlyMap<string, FunctionDef> = new Map(FUNCTIONS.map((fn) => [fn.name, fn]));

/** The wasm-level parameter list of a function, in order (pairs become `name`, `name_len`). */
export function wasmParams(fn: FunctionDef): WasmParam[] {
  const out: WasmParam[] = [];
  for (const p of fn.params) {
    switch (p.role) {
      case 'scalar': {
        const wide = p.type.prim === 'u64' || p.type.prim === 's64';
        out.push({ name: p.name, wasm: wide ? 'i64' : 'i32', param: p, part: 'value' });
        break;
      }
      case 'string': case 'iovecs': case 'buffer':
        out.push({ name: p.name, wasm: 'i32', param: p, part: 'ptr' });
        out.push({ name: `${p.name}_len`, wasm: 'i32', param: p, part: 'len' });
        break;
      default:
        out.push({ name: p.name, wasm: 'i32', param: p, part: 'ptr' });
    }
  }
  return out;
}
