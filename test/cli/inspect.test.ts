// `replay --stop-at N --inspect` as a process, with a debugger attached the way DevTools attaches: over the
// inspector's WebSocket (a minimal client below; Node 20 has none built in). The debugger must find the replay
// waiting for it, see it pause with the guest's wasm frames on the stack, and the replay must stop at #N (exit 120)
// once it resumes. Only the loopback interface is used.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cliPath, guestPath, recordLikeCli } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('inspect');

/** A WebSocket client for the inspector's protocol: unfragmented text frames, masked as a client's must be. */
class InspectorSocket {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();
  constructor(private readonly socket: Duplex, private readonly onEvent: (method: string, params: any) => void) {
    socket.on('data', (d: Buffer) => { this.buffer = Buffer.concat([this.buffer, d]); this.read(); });
  }

  static connect(url: string, onEvent: (method: string, params: any) => void): Promise<InspectorSocket> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const req = request({
        host: u.hostname, port: u.port, path: u.pathname,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
      });
      req.on('upgrade', (_res, socket) => resolve(new InspectorSocket(socket, onEvent)));
      req.on('response', (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Sends a protocol command; resolves with its result. */
  send(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    const payload = Buffer.from(JSON.stringify({ id, method, params }));
    const mask = randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x81, 0x80 | len])
      : Buffer.concat([Buffer.from([0x81, 0x80 | 126]), Buffer.from([len >> 8, len & 0xff])]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    this.socket.write(Buffer.concat([head, mask, masked]));
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  close(): void { this.socket.destroy(); }

  private read(): void {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); at = 10; }
      if (b.length < at + len) return;
      const opcode = b[0]! & 0x0f;
      const text = b.subarray(at, at + len).toString();
      this.buffer = b.subarray(at + len);
      if (opcode === 8) { this.socket.destroy(); return; } // the server closes (inspector.close() waits for us)
      if (opcode !== 1) continue; // pings need no answer here
      const m = JSON.parse(text);
      if (m.id !== undefined) this.waiting.get(m.id)?.(m.result);
      else this.onEvent(m.method, m.params);
    }
  }
}

it('replay --stop-at 3 --inspect waits for a debugger, pauses it with the guest on the stack, then stops (exit 120)', async () => {
  const trace = join(dir, 'memwatch.bin');
  await recordLikeCli({ module: readFileSync(guestPath('memwatch')), moduleName: 'memwatch.wasm', args: [], output: trace });
  const child = spawn(process.execPath, [cliPath, 'replay', '--stop-at', '3', '--inspect=127.0.0.1:0', trace], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    // the line that says what to open: its devtools URL carries the WebSocket address
    const ws = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /waiting for a debugger on .*[?&]ws=(\S+), or run: node inspect \S+\n/.exec(stderr);
        if (m) resolve(`ws://${m[1]}`);
      });
      child.on('close', () => reject(new Error(`exited first: ${stderr}`)));
    });
    expect(stdout).toBe(''); // nothing replayed before the debugger is there

    const wasmScripts = new Set<string>();
    let socket: InspectorSocket | undefined;
    const paused = new Promise<{ functionName: string; wasm: boolean }[]>((resolve, reject) => {
      void InspectorSocket.connect(ws, (method, params) => {
        if (method === 'Debugger.scriptParsed' && params.scriptLanguage === 'WebAssembly') wasmScripts.add(params.scriptId);
        if (method === 'Debugger.paused') {
          resolve(params.callFrames.map((f: any) => ({ functionName: f.functionName, wasm: wasmScripts.has(f.location.scriptId) })));
        }
      }).then(async (s) => {
        socket = s;
        await s.send('Debugger.enable');
        await s.send('Runtime.runIfWaitingForDebugger');
      }).catch(reject);
      child.on('close', () => reject(new Error(`exited before pausing: ${stderr}`)));
    });
    const frames = await paused;
    expect(frames[0]!.functionName).toBe('pauseBeforeEvent');
    expect(frames.filter((f) => f.wasm).map((f) => f.functionName)).toEqual(['$__wasi_fd_write', '$write', '$__original_main', '$_start', '$_start.command_export']);
    await socket!.send('Debugger.resume');
    expect(await exited).toBe(120);
    socket!.close();
    expect(stdout).toBe('start\ntick\n');
    expect(stderr).toMatch(/wasi-trace: stopped before #3 fd_write\(fd=1<stdout>, iovs="tick\\n"\) = ESUCCESS \(nwritten=5\)\n$/);
  } finally {
    child.kill();
  }
});
