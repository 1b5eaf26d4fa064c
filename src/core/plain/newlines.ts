/**
 * Counting line feeds fast: the rows of COPY data are the bulk of a plain dump (8 million rows
 * in the benchmark's 840 MB), and a JavaScript loop over Buffer.indexOf costs a call per row.
 * This 200-byte WebAssembly function counts 64 bytes per step with SIMD compares instead. The
 * indexer reads uncompressed files straight into a counter's memory (`readBuffer`), so nothing
 * is copied; other buffers (decompressed chunks) are copied into it first. Without WebAssembly SIMD the
 * same count is made in JavaScript.
 *
 * The module, as WebAssembly text (encoded by hand below; test/unit/plainNewlines.test.ts
 * checks it against the JavaScript count):
 *
 *   (module
 *     (import "m" "mem" (memory 1))
 *     (func (export "count") (param $p i32) (param $n i32) (result i32)
 *       (local $end i32) (local $c i32) (local $nl v128)
 *       (local.set $end (i32.add (local.get $p) (local.get $n)))
 *       (local.set $nl (i8x16.splat (i32.const 10)))
 *       (block (loop            ;; 64 bytes a step: four 16-byte compares, each a popcount of its mask
 *         (br_if 1 (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end)))
 *         (local.set $c (i32.add (local.get $c) (i32.popcnt (i8x16.bitmask (i8x16.eq (v128.load offset=0 (local.get $p)) (local.get $nl))))))
 *         … the same at offset=16, 32 and 48 …
 *         (local.set $p (i32.add (local.get $p) (i32.const 64)))
 *         (br 0)))
 *       (block (loop            ;; the last bytes one at a time
 *         (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $c (i32.add (local.get $c) (i32.eq (i32.load8_u (local.get $p)) (i32.const 10))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 1)))
 *         (br 0)))
 *       (local.get $c)))
 */

/** The part of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
};

const MODULE_BASE64 =
  'AGFzbQEAAAABBwFgAn9/AX8CCgEBbQNtZW0CAAEDAgEABwkBBWNvdW50AAAKkgEBjwECAn8BeyAAIAFqIQJBCv0PIQQCQANAIABBwABqIAJLDQEgAyAA/QAAACAE/SP9ZGlqIAD9AAAQIAT9I/1kaWogAP0AACAgBP0j/WRpaiAA/QAAMCAE/SP9ZGlqIQMgAEHAAGohAAwACwsCQANAIAAgAk8NASADIAAtAABBCkZqIQMgAEEBaiEADAALCyADCw==';

/** Bytes of the read buffer at the start of a counter's memory; a scratch area of the same size follows it. */
export const READ_BUFFER_SIZE = 256 * 1024;
const PAGES = (2 * READ_BUFFER_SIZE) / 65536;

let compiled: object | null | undefined;

function kernelModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(MODULE_BASE64, 'base64'));
    } catch {
      // No WebAssembly SIMD here: count in JavaScript.
      compiled = null;
    }
  }
  return compiled;
}

/**
 * Counts line feeds, with a read buffer of its own in the kernel's memory (counting in it
 * copies nothing). One per reader: a chunk read into `readBuffer` is valid until the next read.
 */
export class NewlineCounter {
  readonly readBuffer: Buffer;
  private readonly memory: WasmMemory | null = null;
  private readonly kernel: ((pointer: number, length: number) => number) | null = null;

  constructor() {
    const module = kernelModule();
    if (module) {
      const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
      const instance = new WebAssembly.Instance(module, { m: { mem: memory } });
      this.memory = memory;
      this.kernel = instance.exports.count as (pointer: number, length: number) => number;
      this.readBuffer = Buffer.from(memory.buffer, 0, READ_BUFFER_SIZE);
    } else {
      this.readBuffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
    }
  }

  /** Line feeds in `buf[from, to)`. */
  count(buf: Buffer, from: number, to: number): number {
    const kernel = this.kernel;
    if (!kernel || !this.memory || to - from < 256) return countNewlinesJs(buf, from, to);
    if (buf.buffer === this.memory.buffer) return kernel(buf.byteOffset + from, to - from);
    // Elsewhere (a decompressed chunk): through the scratch area, a piece at a time.
    const scratch = Buffer.from(this.memory.buffer, READ_BUFFER_SIZE, READ_BUFFER_SIZE);
    let n = 0;
    for (let at = from; at < to; at += READ_BUFFER_SIZE) {
      const end = Math.min(to, at + READ_BUFFER_SIZE);
      buf.copy(scratch, 0, at, end);
      n += kernel(READ_BUFFER_SIZE, end - at);
    }
    return n;
  }
}

/** The same count in JavaScript. */
export function countNewlinesJs(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a, from); i >= 0 && i < to; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}
