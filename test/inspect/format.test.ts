// The schema-driven decoder on hand-made calls: quoting, JSON values, flag sets, fds, structs, failures.
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_BY_NAME, MODULE_NAME } from '../../src/abi/index.js';
import { FdPaths, joinPath } from '../../src/inspect/fds.js';
import { bytesJson, decodeCall, formatCall, quoteBytes, type CallView } from '../../src/calls/format.js';
import type { Scalar } from '../../src/trace/events.js';

const u32 = (n: number) => Uint8Array.of(n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24);
const call = (name: string, args: Scalar[], more: Partial<CallView> = {}): CallView =>
  ({ module: MODULE_NAME, name, wasi: FUNCTIONS_BY_NAME.get(name)!.index, args, inputs: null, ...more });

describe('quoting and JSON bytes', () => {
  it('quotes like strace and cuts at the limit', () => {
    expect(quoteBytes(Buffer.from('a"b\\c\n\t\r\x00\xff', 'latin1'))).toBe('"a\\"b\\\\c\\n\\t\\r\\x00\\xff"');
    expect(quoteBytes(Buffer.from('abcdef'), 3)).toBe('"abc"...');
    expect(quoteBytes(Buffer.from('abc'), 3)).toBe('"abc"');
  });

  it('gives text when the shown bytes are UTF-8, hex otherwise, and the whole length', () => {
    expect(bytesJson(Buffer.from('héllo'), 32)).toEqual({ len: 6, text: 'héllo' });
    expect(bytesJson(Buffer.from('héllo'), 2)).toEqual({ len: 6, text: 'h' }); // é cut in half is dropped
    expect(bytesJson(Uint8Array.of(0xff, 0x00, 0x41), 32)).toEqual({ len: 3, hex: 'ff0041' });
  });
});

describe('decodeCall', () => {
  it('names flags, enums and rights; reads a set of most rights as what it lacks', () => {
    const rightsAll = (1n << 30n) - 1n;
    const c = call('path_open', [3, 1, 0x100, 2, 9, rightsAll & ~(1n << 6n), rightsAll, 1, 0x200], {
      inputs: Buffer.from('ab'), result: 0, writes: [{ addr: 0x200, bytes: u32(7) }],
    });
    expect(formatCall(c)).toBe('path_open(fd=3, dirflags=SYMLINK_FOLLOW, path="ab", oflags=CREAT|TRUNC, fs_rights_base=ALL&~(FD_WRITE), fs_rights_inheriting=ALL, fdflags=APPEND) = ESUCCESS (opened_fd=7)');
    const d = decodeCall(c);
    expect(d.args.find((a) => a.name === 'oflags')!.json).toEqual(['CREAT', 'TRUNC']);
    expect((d.args.find((a) => a.name === 'fs_rights_inheriting')!.json as string[]).length).toBe(30);
    expect(d.out).toEqual([{ name: 'opened_fd', text: '7', json: 7, fd: 7 }]);
    expect(formatCall(call('fd_fdstat_set_flags', [1, 0x40]))).toBe('fd_fdstat_set_flags(fd=1, flags=0x40)');
  });

  it('shows an fd passed as -1 as -1, and an fd name when it has one', () => {
    expect(formatCall(call('fd_close', [-1], { result: 8 }))).toBe('fd_close(fd=-1) = EBADF');
    expect(formatCall(call('fd_close', [1], { result: 0 }), { fdName: (fd) => (fd === 1 ? 'stdout' : undefined) })).toBe('fd_close(fd=1<stdout>) = ESUCCESS');
  });

  it('64-bit values: decimal text, JSON numbers when exact and strings beyond', () => {
    const c = call('clock_time_get', [1, 1, 0x80], { result: 0, writes: [{ addr: 0x80, bytes: Uint8Array.of(1, 0, 0, 0, 0, 0, 0x40, 0) }] });
    expect(formatCall(c)).toBe(`clock_time_get(id=MONOTONIC, precision=1) = ESUCCESS (time=${0x40000000000001n})`);
    expect(decodeCall(c).out[0]!.json).toBe(String(0x40000000000001n));
    const seek = decodeCall(call('fd_seek', [3, -5n, 2, 0x10], { result: 0, writes: [{ addr: 0x10, bytes: new Uint8Array(8) }] }));
    expect(seek.args.map((a) => a.json)).toEqual([3, -5, 'END']);
  });

  it('a failed read shows the buffer address; a read that filled nothing shows it empty', () => {
    expect(formatCall(call('fd_read', [3, 0x100, 1, 0x200], { result: 8 }))).toBe('fd_read(fd=3, iovs=0x100) = EBADF');
    expect(formatCall(call('fd_read', [3, 0x100, 1, 0x200], { result: 0, writes: [{ addr: 0x200, bytes: u32(0) }] })))
      .toBe('fd_read(fd=3, iovs="") = ESUCCESS (nread=0)');
    expect(formatCall(call('fd_readdir', [3, 0x100, 64, 0n, 0x200], { result: 0, writes: [{ addr: 0x200, bytes: u32(0) }] })))
      .toBe('fd_readdir(fd=3, buf=[], buf_len=64, cookie=0) = ESUCCESS (bufused=0)');
    expect(formatCall(call('random_get', [0x100, 4], { result: 28 }))).toBe('random_get(buf=0x100, buf_len=4) = EINVAL');
  });

  it('a call the replayer saw (no result yet) shows only its arguments', () => {
    expect(formatCall(call('fd_write', [1, 0x10, 1, 0x20], { inputs: Buffer.from('hi\n') }))).toBe('fd_write(fd=1, iovs="hi\\n")');
    expect(formatCall(call('fd_read', [0, 0x10, 2, 0x20]))).toBe('fd_read(fd=0, iovs=[2 iovecs])');
  });

  it('a dirent list cut inside an entry, and args_get strings', () => {
    const dirent = (next: number, name: string) => {
      const b = new Uint8Array(24 + name.length);
      b[0] = next; b[16] = name.length; b[20] = 4;
      b.set(Buffer.from(name), 24);
      return b;
    };
    const buf = Buffer.concat([dirent(1, 'a.txt'), dirent(2, 'bb.txt').subarray(0, 27)]);
    const c = call('fd_readdir', [3, 0x100, buf.length, 0n, 0x400], { result: 0, writes: [{ addr: 0x100, bytes: buf }, { addr: 0x400, bytes: u32(buf.length) }] });
    expect(formatCall(c)).toBe(`fd_readdir(fd=3, buf=[dirent{d_next=1,d_ino=0,d_namlen=5,d_type=REGULAR_FILE,name="a.txt"}, dirent{d_next=2,d_ino=0,d_namlen=6,d_type=REGULAR_FILE,name="bb."...}], buf_len=${buf.length}, cookie=0) = ESUCCESS (bufused=${buf.length})`);
    const args = call('args_get', [0x10, 0x20], { result: 0, writes: [{ addr: 0x10, bytes: new Uint8Array(8) }, { addr: 0x20, bytes: Buffer.from('prog\0-x\0') }] });
    expect(formatCall(args)).toBe('args_get() = ESUCCESS (argv=["prog", "-x"])');
  });

  it('other imports: positional args, the value returned and the memory written', () => {
    const c: CallView = { module: 'env', name: 'fill', args: [16, 2], inputs: null, result: null, writes: [{ addr: 16, bytes: Buffer.from('ok') }] };
    expect(formatCall(c)).toBe('env.fill(16, 2) = void (wrote 0x10="ok")');
    expect(formatCall({ module: 'env', name: 'boom', args: [], inputs: null, result: { throw: 'no' } })).toBe('env.boom() = ? <threw: no>');
  });
});

describe('fd paths', () => {
  it('joins paths like a person would read them', () => {
    expect(joinPath('/sandbox', 'a/b.txt')).toBe('/sandbox/a/b.txt');
    expect(joinPath('/', 'src')).toBe('/src');
    expect(joinPath('.', 'src')).toBe('src');
    expect(joinPath('/sandbox', '.')).toBe('/sandbox');
    expect(joinPath(undefined, 'x')).toBe('x');
  });

  it('follows preopens, path_open, renumber and close', () => {
    const fds = new FdPaths([{ guest: '/a', memory: true }, { guest: '/b', memory: true }]);
    expect([0, 1, 2, 3, 4].map(fds.name)).toEqual(['stdin', 'stdout', 'stderr', '/a', '/b']);
    const open = call('path_open', [4, 0, 0x100, 1, 0, 0n, 0n, 0, 0x200], { inputs: Buffer.from('x'), result: 0, writes: [{ addr: 0x200, bytes: u32(9) }] });
    fds.before(open);
    expect(fds.name(9)).toBe('/b/x');
    const snap = fds.snapshot();
    fds.after(call('fd_renumber', [9, 1], { result: 0 }));
    expect([fds.name(9), fds.name(1)]).toEqual([undefined, '/b/x']);
    fds.after(call('fd_close', [1], { result: 0 }));
    expect(fds.name(1)).toBeUndefined();
    expect(snap(9)).toBe('/b/x'); // a snapshot keeps the names as they were
    fds.after(call('fd_close', [3], { result: 8 })); // a failed close changes nothing
    expect(fds.name(3)).toBe('/a');
  });
});
