import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { deflateSync } from 'node:zlib';
import { DumpError } from '../../src/core/errors';
import { createDecompressor, type StreamCompression } from '../../src/core/formats/compression';

// Compressed inputs come from the real command-line tools (and Node's zlib for the zlib stream
// of custom archives), run on generated COPY-like text.

const LABEL = 'data of TOC entry 3377 (3377.dat.x)';
const LZ4 = '/usr/bin/lz4';
const ZSTD = '/usr/bin/zstd';
const MB = 1 << 20;

/** Deterministic pseudo-random numbers (xorshift32), so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** `size` bytes of COPY-like rows: repetitive columns plus random tokens, so it compresses, but not to nothing. */
function copyText(size: number, seed = 1): Buffer {
  const rnd = prng(seed);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'Łódź', 'naïve', 'customer', 'order', '\\N', 'shipped', 'pending'];
  const rows: string[] = [];
  let length = 0;
  for (let id = 1; length < size; id++) {
    const row =
      `${id}\t${words[rnd() % words.length]} ${words[rnd() % words.length]}\t${(rnd() % 1_000_000) / 100}\t` +
      `2024-${String(1 + (rnd() % 12)).padStart(2, '0')}-${String(1 + (rnd() % 28)).padStart(2, '0')} 12:34:56+00\t` +
      `${rnd().toString(16)}${rnd().toString(36)}\t{${rnd() % 1000},${rnd() % 1000}}\n`;
    rows.push(row);
    length += Buffer.byteLength(row);
  }
  return Buffer.from(rows.join('')).subarray(0, size);
}

/** `size` incompressible bytes. */
function noise(size: number, seed = 7): Buffer {
  const rnd = prng(seed);
  const out = Buffer.alloc(size + 3);
  for (let i = 0; i < size; i += 4) out.writeUInt32LE(rnd(), i);
  return out.subarray(0, size);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function assertSameBytes(actual: Buffer, expected: Buffer): void {
  assert.equal(actual.length, expected.length, 'output length');
  assert.equal(sha(actual), sha(expected), 'output sha256');
}

function* slices(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Feeds `input` in slices of `slice` bytes through a decompressor and collects what comes out. */
async function decode(kind: StreamCompression, input: Buffer, slice = input.length || 1): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(slices(input, slice)),
    createDecompressor(kind, LABEL),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(parts);
}

/** Decodes and expects a one-line DumpError of `code` that names the label; returns its message. */
async function decodeFails(kind: StreamCompression, input: Buffer, code: string, slice?: number): Promise<string> {
  let out: Buffer;
  try {
    out = await decode(kind, input, slice);
  } catch (err) {
    assert.ok(err instanceof DumpError, `expected a DumpError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.startsWith(LABEL), `"${err.message}" should start with the label`);
    assert.ok(!err.message.includes('\n'), `message is not one line: ${err.message}`);
    return err.message;
  }
  assert.fail(`expected a ${code} error, got ${out.length} bytes of output`);
}

/** Every proper prefix of `input` (but the empty one) must be reported as truncated. */
async function everyPrefixIsTruncated(kind: StreamCompression, input: Buffer): Promise<void> {
  for (let n = 1; n < input.length; n++) await decodeFails(kind, input.subarray(0, n), 'truncated');
}

/**
 * Flips one byte at a time in `input`: each result must decode or fail with a DumpError, never
 * hang or throw anything else. Returns how many mutations were rejected.
 */
async function mutationsFailCleanly(kind: StreamCompression, input: Buffer, seed: number): Promise<number> {
  const rnd = prng(seed);
  let rejected = 0;
  for (let i = 0; i < input.length; i++) {
    const bad = Buffer.from(input);
    bad[i] = bad[i]! ^ (1 + (rnd() % 255));
    try {
      await decode(kind, bad, 1 + (rnd() % 64));
    } catch (err) {
      assert.ok(err instanceof DumpError, `byte ${i}: expected a DumpError, got ${String(err)}`);
      assert.ok(err.message.startsWith(LABEL) && !err.message.includes('\n'), err.message);
      rejected++;
    }
  }
  return rejected;
}

let dir = '';
let fileCount = 0;

/** Runs a real compressor on `data` written to a file: `cmd ...args -c FILE`. */
function compressFile(cmd: string, args: string[], data: Buffer): Buffer {
  const file = path.join(dir, `input-${fileCount++}`);
  writeFileSync(file, data);
  return execFileSync(cmd, [...args, '-c', file], { maxBuffer: 256 * MB, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a real compressor on `data` through a pipe, so it does not know the size beforehand. */
function compressPipe(cmd: string, args: string[], data: Buffer): Buffer {
  return execFileSync(cmd, [...args, '-c'], { input: data, maxBuffer: 256 * MB, stdio: ['pipe', 'pipe', 'pipe'] });
}

interface Lz4Frame {
  linked: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
  contentSize: boolean;
  maxBlockCode: number;
  blocks: { size: number; stored: boolean }[];
}

/** Reads the header and block list of the first LZ4 frame, to check what the tool really wrote. */
function lz4Frame(data: Buffer): Lz4Frame {
  assert.equal(data.readUInt32LE(0), 0x184d2204, 'LZ4 frame magic');
  const flg = data[4]!;
  const frame: Lz4Frame = {
    linked: (flg & 0x20) === 0,
    blockChecksum: (flg & 0x10) !== 0,
    contentChecksum: (flg & 0x04) !== 0,
    contentSize: (flg & 0x08) !== 0,
    maxBlockCode: data[5]! >> 4,
    blocks: [],
  };
  let p = 7 + (frame.contentSize ? 8 : 0);
  for (;;) {
    const word = data.readUInt32LE(p);
    p += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    frame.blocks.push({ size, stored: word >>> 31 === 1 });
    p += size + (frame.blockChecksum ? 4 : 0);
  }
  return frame;
}

/** A skippable frame (magic 0x184D2A50 + n) holding `body`. */
function skippable(n: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x184d2a50 + n, 0);
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('createDecompressor', function () {
  this.timeout(120_000);

  const text = copyText(3 * MB);
  const small = copyText(64 * 1024, 2);

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pgdx-compression-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps back the end of the output until the compressed stream is known to end properly', async () => {
    // A reader that stops at COPY's end marker must still see that the stream lacks its trailer.
    const data = Buffer.concat([copyText(300_000, 19), Buffer.from('\\.\n')]);
    const cases: [StreamCompression, Buffer][] = [
      ['zlib', deflateSync(data).subarray(0, -4)], // no Adler-32
      ['gzip', compressFile('gzip', [], data).subarray(0, -8)], // no CRC-32 and size
      ['lz4', compressFile(LZ4, ['-q', '-B4', '-BD'], data).subarray(0, -4)], // no content checksum
      ['zstd', compressFile(ZSTD, ['-q'], data).subarray(0, -4)], // no content checksum
    ];
    for (const [kind, input] of cases) {
      const parts: Buffer[] = [];
      const decompressor = createDecompressor(kind, LABEL);
      decompressor.on('data', (chunk: Buffer) => parts.push(chunk));
      const failure = new Promise<unknown>((resolve) => decompressor.on('error', resolve).on('end', () => resolve(null)));
      for (const slice of slices(input, 4096)) decompressor.write(slice);
      decompressor.end();
      const err = await failure;
      assert.ok(err instanceof DumpError && err.code === 'truncated', `${kind}: ${String(err)}`);
      const seen = Buffer.concat(parts);
      assert.ok(seen.length < data.length && data.subarray(0, seen.length).equals(seen), `${kind}: ${seen.length} bytes out`);
    }
  });

  describe("'none'", () => {
    it('passes bytes through unchanged, whatever the slices', async () => {
      const data = Buffer.concat([copyText(256 * 1024, 3), noise(64 * 1024)]);
      for (const slice of [1, 7, 4096, data.length]) assertSameBytes(await decode('none', data, slice), data);
    });

    it('gives empty output for empty input', async () => {
      assert.equal((await decode('none', Buffer.alloc(0))).length, 0);
    });
  });

  describe("'zlib' (the RFC 1950 stream of custom archives)", () => {
    const stream = deflateSync(text);
    const smallStream = deflateSync(small);

    it('round-trips a multi-MB stream, whole and in 4096-byte slices', async () => {
      assert.equal(stream[0], 0x78);
      for (const slice of [stream.length, 4096]) assertSameBytes(await decode('zlib', stream, slice), text);
    });

    it('round-trips in 1- and 7-byte slices', async () => {
      for (const slice of [1, 7]) assertSameBytes(await decode('zlib', smallStream, slice), small);
    });

    it('reports a stream cut short as truncated, wherever it is cut', async () => {
      const message = await decodeFails('zlib', stream.subarray(0, stream.length >> 1), 'truncated', 4096);
      assert.match(message, /zlib/);
      for (const cut of [2, 100, stream.length - 4, stream.length - 1]) await decodeFails('zlib', stream.subarray(0, cut), 'truncated');
      await everyPrefixIsTruncated('zlib', deflateSync(copyText(600, 4)));
    });

    it('reports empty input as truncated', async () => {
      await decodeFails('zlib', Buffer.alloc(0), 'truncated');
    });

    it('reports garbage and a bad checksum as corrupt', async () => {
      assert.match(await decodeFails('zlib', noise(10_000), 'corrupt'), /is not valid zlib data: incorrect header check$/);
      const bad = Buffer.from(stream);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
      assert.match(await decodeFails('zlib', bad, 'corrupt'), /incorrect data check/);
    });
  });

  describe("'gzip' (the .gz files of directory archives)", () => {
    let file: Buffer;
    let smallFile: Buffer;

    before(() => {
      file = compressFile('gzip', [], text);
      smallFile = compressFile('gzip', ['-9'], small);
    });

    it('round-trips a multi-MB file from gzip, whole and in 4096-byte slices', async () => {
      assert.deepEqual([...file.subarray(0, 2)], [0x1f, 0x8b]);
      for (const slice of [file.length, 4096]) assertSameBytes(await decode('gzip', file, slice), text);
    });

    it('round-trips in 1- and 7-byte slices', async () => {
      for (const slice of [1, 7]) assertSameBytes(await decode('gzip', smallFile, slice), small);
    });

    it('reads every member of concatenated gzip files', async () => {
      const second = copyText(200_000, 5);
      const both = Buffer.concat([file, compressFile('gzip', ['-1'], second)]);
      for (const slice of [both.length, 4096]) assertSameBytes(await decode('gzip', both, slice), Buffer.concat([text, second]));
    });

    it('reports a file cut short as truncated, wherever it is cut', async () => {
      for (const cut of [1, 10, file.length >> 1, file.length - 8, file.length - 1]) {
        assert.match(await decodeFails('gzip', file.subarray(0, cut), 'truncated', 4096), /gzip/);
      }
      // Cut inside a second member.
      await decodeFails('gzip', Buffer.concat([smallFile, smallFile.subarray(0, 20)]), 'truncated');
      await everyPrefixIsTruncated('gzip', compressFile('gzip', [], copyText(600, 6)));
    });

    it('reports garbage and a bad CRC as corrupt', async () => {
      assert.match(await decodeFails('gzip', noise(10_000), 'corrupt'), /is not valid gzip data: incorrect header check$/);
      const bad = Buffer.from(smallFile);
      bad[bad.length - 6] = bad[bad.length - 6]! ^ 0x55; // in the CRC-32
      assert.match(await decodeFails('gzip', bad, 'corrupt'), /incorrect data check/);
    });
  });

  describe("'lz4' (LZ4 frames)", () => {
    let plainFrame: Buffer;

    before(() => {
      plainFrame = compressFile(LZ4, ['-q'], text);
    });

    it('round-trips a multi-MB frame in 1-, 7- and 4096-byte slices and whole', async () => {
      for (const slice of [1, 7, 4096, plainFrame.length]) assertSameBytes(await decode('lz4', plainFrame, slice), text);
    });

    const variants: { args: string[]; expect: Partial<Lz4Frame> }[] = [
      // (A frame that fits in one block is written independent whatever -BD says.)
      { args: ['-BD', '-B6'], expect: { linked: true, maxBlockCode: 6 } },
      { args: ['-BI'], expect: { linked: false } },
      { args: ['-B4'], expect: { maxBlockCode: 4 } },
      { args: ['-B5'], expect: { maxBlockCode: 5 } },
      { args: ['-B6'], expect: { maxBlockCode: 6 } },
      { args: ['-B7'], expect: { maxBlockCode: 7 } },
      // What pg_dump writes through LZ4F's default preferences: linked 64 KB blocks.
      { args: ['-B4', '-BD'], expect: { linked: true, maxBlockCode: 4 } },
      { args: ['--content-size'], expect: { contentSize: true } },
      { args: ['--no-frame-crc'], expect: { contentChecksum: false } },
      { args: ['-BX'], expect: { blockChecksum: true, contentChecksum: true } },
      { args: ['-B4', '-BD', '-BX', '--content-size', '--no-frame-crc'], expect: { linked: true, blockChecksum: true, contentSize: true, contentChecksum: false } },
      { args: ['-9', '-B4', '-BD'], expect: { linked: true, maxBlockCode: 4 } },
      { args: ['-1', '-B5', '-BD', '-BX'], expect: { linked: true, blockChecksum: true, maxBlockCode: 5 } },
    ];
    for (const { args, expect } of variants) {
      it(`round-trips lz4 ${args.join(' ')} in 7- and 4096-byte slices and whole`, async () => {
        const frame = compressFile(LZ4, ['-q', ...args], text);
        const header = lz4Frame(frame);
        for (const [key, value] of Object.entries(expect)) assert.equal(header[key as keyof Lz4Frame], value, `frame header: ${key}`);
        for (const slice of [7, 4096, frame.length]) assertSameBytes(await decode('lz4', frame, slice), text);
      });
    }

    it('uses the previous blocks as dictionary in linked mode', async () => {
      // 60 KB of noise, ten times: linked blocks can point back at the previous copy, independent ones cannot.
      const repeated = Buffer.concat(Array<Buffer>(10).fill(noise(60_000, 8)));
      const linked = compressFile(LZ4, ['-q', '-9', '-B4', '-BD'], repeated);
      const independent = compressFile(LZ4, ['-q', '-9', '-B4', '-BI'], repeated);
      assert.ok(linked.length * 4 < independent.length, `${linked.length} vs ${independent.length}`);
      assert.ok(lz4Frame(linked).blocks.length >= 9);
      for (const slice of [1, 4096, linked.length]) assertSameBytes(await decode('lz4', linked, slice), repeated);
      // The fast level links blocks too, though it gains less.
      const fast = compressFile(LZ4, ['-q', '-1', '-B4', '-BD'], repeated);
      assert.ok(fast.length < independent.length);
      assertSameBytes(await decode('lz4', fast, 4096), repeated);
    });

    it('copies uncompressed blocks of incompressible data, linked or not', async () => {
      const random = noise(MB);
      for (const args of [['-B4'], ['-B4', '-BD'], ['-B6', '-BX']]) {
        const frame = compressFile(LZ4, ['-q', ...args], random);
        assert.ok(lz4Frame(frame).blocks.every((b) => b.stored), 'every block is stored uncompressed');
        for (const slice of [7, frame.length]) assertSameBytes(await decode('lz4', frame, slice), random);
      }
      // Stored and compressed blocks in one linked frame: matches reach back into stored ones.
      const chunk = noise(40_000, 9);
      const mixed = Buffer.concat([chunk, copyText(100_000, 10), chunk, noise(100_000, 11), chunk, copyText(100_000, 12)]);
      const frame = compressFile(LZ4, ['-q', '-B4', '-BD'], mixed);
      const blocks = lz4Frame(frame).blocks;
      assert.ok(blocks.some((b) => b.stored) && blocks.some((b) => !b.stored), 'both kinds of block');
      for (const slice of [1, 4096]) assertSameBytes(await decode('lz4', frame, slice), mixed);
    });

    it('reads concatenated frames and skips skippable frames', async () => {
      const second = copyText(300_000, 13);
      const a = compressFile(LZ4, ['-q', '-B4', '-BD'], text);
      const b = compressFile(LZ4, ['-q', '-BX', '--content-size'], second);
      const both = Buffer.concat([a, b]);
      for (const slice of [7, both.length]) assertSameBytes(await decode('lz4', both, slice), Buffer.concat([text, second]));
      const withSkippable = Buffer.concat([skippable(0, Buffer.from('head')), a, skippable(15, noise(1000)), b, skippable(3, Buffer.alloc(0))]);
      for (const slice of [1, 4096]) assertSameBytes(await decode('lz4', withSkippable, slice), Buffer.concat([text, second]));
    });

    it('gives empty output for empty input and for an empty frame', async () => {
      assert.equal((await decode('lz4', Buffer.alloc(0))).length, 0);
      assert.equal((await decode('lz4', compressFile(LZ4, ['-q'], Buffer.alloc(0)))).length, 0);
    });

    it('reports a frame cut short as truncated, wherever it is cut', async () => {
      for (const cut of [1, 4, 6, 7, 11, plainFrame.length >> 1, plainFrame.length - 5, plainFrame.length - 4, plainFrame.length - 1]) {
        assert.match(await decodeFails('lz4', plainFrame.subarray(0, cut), 'truncated', 4096), /LZ4/);
      }
      const tiny = copyText(3000, 14);
      for (const args of [[], ['-BD', '-BX', '--content-size'], ['--no-frame-crc']]) {
        await everyPrefixIsTruncated('lz4', compressFile(LZ4, ['-q', ...args], tiny));
      }
      await everyPrefixIsTruncated('lz4', skippable(1, Buffer.from('abcdef')));
    });

    it('reports garbage as corrupt', async () => {
      assert.match(await decodeFails('lz4', noise(10_000), 'corrupt'), /is not valid LZ4 data: no LZ4 frame starts at byte 0/);
      assert.match(await decodeFails('lz4', Buffer.concat([plainFrame, Buffer.from('trailing garbage')]), 'corrupt'), /starts at byte \d+/);
    });

    it('rejects a block larger than the declared maximum before reading it', async () => {
      // Frame header: magic, FLG (version 1, independent blocks), BD (64 KB), header checksum.
      const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x00]);
      for (const word of [65_537, 0x7fffffff, 0x80000000 + 4 * MB]) {
        const size = Buffer.alloc(4);
        size.writeUInt32LE(word);
        assert.match(await decodeFails('lz4', Buffer.concat([header, size, Buffer.alloc(100)]), 'corrupt'), /more than the frame's maximum of 65536/);
      }
    });

    it('rejects bad header bits, matches before the data and blocks that overrun', async () => {
      const frame = (flg: number, bd: number, ...block: number[]) => {
        const size = Buffer.alloc(4);
        size.writeUInt32LE(block.length);
        return Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, flg, bd, 0]), size, Buffer.from(block), Buffer.alloc(4)]);
      };
      assert.match(await decodeFails('lz4', frame(0xa0, 0x40, 0x10, 0x41), 'corrupt'), /version 2/);
      assert.match(await decodeFails('lz4', frame(0x62, 0x40, 0x10, 0x41), 'corrupt'), /reserved/);
      assert.match(await decodeFails('lz4', frame(0x60, 0x30, 0x10, 0x41), 'corrupt'), /block size code 3/);
      assert.equal((await decode('lz4', frame(0x60, 0x40, 0x10, 0x41))).toString(), 'A');
      // One literal, then a match 2 bytes back when only 1 byte exists.
      assert.match(await decodeFails('lz4', frame(0x60, 0x40, 0x10, 0x41, 0x02, 0x00, 0x00), 'corrupt'), /before the start of the data/);
      // A literal run that claims more bytes than the block holds.
      assert.match(await decodeFails('lz4', frame(0x60, 0x40, 0x50, 0x41), 'corrupt'), /run past its end/);
      // A match that would decode past the 64 KB block maximum.
      assert.match(await decodeFails('lz4', frame(0x60, 0x40, 0x1f, 0x41, 0x01, 0x00, ...Array<number>(300).fill(255), 0, 0x00), 'corrupt'), /more than 65536 bytes/);
      // A preset dictionary is not something pg_dump writes.
      await decodeFails('lz4', frame(0x61, 0x40, 0x10, 0x41), 'unsupported');
    });

    it('turns damaged bytes into DumpErrors, never anything else', async () => {
      // Checksums are not verified, so some damaged blocks still decode; the structure may not break.
      const frame = compressFile(LZ4, ['-q', '-B4', '-BD', '-BX', '--content-size'], copyText(6000, 15));
      assert.ok((await mutationsFailCleanly('lz4', frame, 1)) > 0);
    });
  });

  describe("'zstd' (zstd frames)", () => {
    let plainFrame: Buffer;

    before(() => {
      plainFrame = compressFile(ZSTD, ['-q'], text);
    });

    it('round-trips a multi-MB frame in 1-, 7- and 4096-byte slices and whole', async () => {
      for (const slice of [1, 7, 4096, plainFrame.length]) assertSameBytes(await decode('zstd', plainFrame, slice), text);
    });

    it('round-trips multithreaded (-T2) and long-window (--long) output streamed through a pipe', async () => {
      const threaded = compressPipe(ZSTD, ['-q', '-T2', '-3'], text);
      const long = compressPipe(ZSTD, ['-q', '--long=27'], text);
      assert.equal(long[5]! >> 3, 17, 'a 128 MB window (window log 27)');
      for (const frame of [threaded, long]) {
        for (const slice of [7, 4096, frame.length]) assertSameBytes(await decode('zstd', frame, slice), text);
      }
    });

    it('round-trips other levels and frame options', async () => {
      for (const args of [['-1'], ['-12'], ['--no-check'], ['--no-content-size'], ['-B65536']]) {
        const frame = compressFile(ZSTD, ['-q', ...args], text);
        assertSameBytes(await decode('zstd', frame, 4096), text);
      }
      // A small file becomes a single-segment frame, whose window is its content size.
      const single = compressFile(ZSTD, ['-q'], small);
      assert.equal(single[4]! & 0x20, 0x20, 'single-segment frame');
      for (const slice of [1, single.length]) assertSameBytes(await decode('zstd', single, slice), small);
    });

    it('reads concatenated frames and skips skippable frames', async () => {
      const second = copyText(300_000, 16);
      const a = compressFile(ZSTD, ['-q'], text);
      const b = compressFile(ZSTD, ['-q', '--no-check', '-5'], second);
      const all = Buffer.concat([skippable(0, Buffer.from('x')), a, skippable(9, noise(500)), b]);
      for (const slice of [7, all.length]) assertSameBytes(await decode('zstd', all, slice), Buffer.concat([text, second]));
    });

    it('gives empty output for empty input and for an empty frame', async () => {
      assert.equal((await decode('zstd', Buffer.alloc(0))).length, 0);
      assert.equal((await decode('zstd', compressFile(ZSTD, ['-q'], Buffer.alloc(0)))).length, 0);
    });

    it('reports a frame cut short as truncated, wherever it is cut', async () => {
      for (const cut of [1, 4, 5, 6, 9, plainFrame.length >> 1, plainFrame.length - 4, plainFrame.length - 1]) {
        assert.match(await decodeFails('zstd', plainFrame.subarray(0, cut), 'truncated', 4096), /zstd/);
      }
      const tiny = copyText(3000, 17);
      for (const args of [[], ['--no-check']]) await everyPrefixIsTruncated('zstd', compressFile(ZSTD, ['-q', ...args], tiny));
      await everyPrefixIsTruncated('zstd', compressPipe(ZSTD, ['-q'], tiny));
    });

    it('reports garbage as corrupt', async () => {
      assert.match(await decodeFails('zstd', noise(10_000), 'corrupt'), /is not valid zstd data: no zstd frame starts at byte 0/);
      const bad = Buffer.from(plainFrame);
      for (let i = 100; i < 400; i++) bad[i] = 0xa5;
      await decodeFails('zstd', bad, 'corrupt');
    });

    it('rejects a window above 128 MB and oversized blocks before decoding', async () => {
      const magic = [0x28, 0xb5, 0x2f, 0xfd];
      // Window descriptor 0xa0: 2^30 bytes; then a raw block of one byte.
      const huge = Buffer.from([...magic, 0x00, 0xa0, 0x09, 0x00, 0x00, 0x41]);
      assert.match(await decodeFails('zstd', huge, 'unsupported'), /1024 MB window/);
      // Single segment with an 8-byte content size of 2^40: the window is the content size.
      const single = Buffer.from([...magic, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0x09, 0x00, 0x00, 0x41]);
      assert.match(await decodeFails('zstd', single, 'unsupported'), /window/);
      // A raw block that claims 1 MB.
      const block = Buffer.from([...magic, 0x00, 0x50, 0x01, 0x00, 0x80, 0x41]);
      assert.match(await decodeFails('zstd', block, 'corrupt'), /more than zstd's 128 KB/);
      // A small window is fine.
      assert.equal((await decode('zstd', Buffer.from([...magic, 0x00, 0x50, 0x09, 0x00, 0x00, 0x41]))).toString(), 'A');
    });

    it('turns damaged bytes into DumpErrors, never anything else', async () => {
      const frame = compressFile(ZSTD, ['-q'], copyText(6000, 18));
      assert.ok((await mutationsFailCleanly('zstd', frame, 2)) > 0);
    });
  });
});
