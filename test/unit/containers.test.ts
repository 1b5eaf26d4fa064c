import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DumpError } from '../../src/core/errors';
import { isJunkName, normalizeMemberName, openDirectoryContainer } from '../../src/core/io/directoryContainer';
import { indexTar, isTarHeader, openTarContainer, parseTarHeader, parseTarSize, tarChecksumMatches } from '../../src/core/io/tarContainer';
import { openZipContainer } from '../../src/core/io/zipContainer';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures');
const PG_TAR = path.join(FIXTURES, 'pg18-rich.tar');

function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tarBytes(tarPath: string, member: string): Buffer {
  return execFileSync('tar', ['-xOf', tarPath, member], { maxBuffer: 64 << 20 });
}

async function streamBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function rejectsWith(promise: Promise<unknown>, code: string, ...parts: (string | RegExp)[]): Promise<DumpError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DumpError, `expected a DumpError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(!err.message.includes('\n'), `message is not one line: ${err.message}`);
    for (const part of parts) {
      if (typeof part === 'string') assert.ok(err.message.includes(part), `"${err.message}" should mention "${part}"`);
      else assert.match(err.message, part);
    }
    return err;
  }
  assert.fail(`expected a DumpError ${code}`);
}

/** A ustar header block with a valid checksum; `size` may be a raw 12-byte field. */
function makeHeader(name: string, size: number | Buffer, opts: { typeflag?: string; magic?: string; signedChecksum?: boolean } = {}): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write('0000644\0', 100, 'latin1');
  b.write('0000000\0', 108, 'latin1');
  b.write('0000000\0', 116, 'latin1');
  if (typeof size === 'number') b.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  else size.copy(b, 124, 0, 12);
  b.write('00000000000\0', 136, 'latin1');
  b.write(opts.typeflag ?? '0', 156, 'latin1');
  b.write(opts.magic ?? 'ustar\x0000', 257, 'latin1');
  let sum = 0;
  for (let i = 0; i < 512; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : (b[i] ?? 0);
    sum += opts.signedChecksum && v > 127 ? v - 256 : v;
  }
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

interface Listed {
  block: number;
  size: number;
  name: string;
  kind: string;
}

/** `tar -R -tvf`: block number, size and name of every entry, as GNU tar sees them. */
function tarListing(tarPath: string): Listed[] {
  return run('tar', ['-R', '-tvf', tarPath])
    .split('\n')
    .filter((l) => /^block \d+: [-dlhcbpLKxg]/.test(l))
    .map((line) => {
      const m = /^block (\d+): (\S)\S*\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
      assert.ok(m, `unexpected tar listing line: ${line}`);
      return { block: Number(m[1]), kind: m[2] ?? '', size: Number(m[3]), name: m[4] ?? '' };
    });
}

describe('containers', function () {
  this.timeout(30_000);
  let tmp: string;
  /** pg18-rich.tar extracted: a directory-format layout of uncompressed files. */
  let dumpDir: string;

  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'pgde-containers-'));
    dumpDir = path.join(tmp, 'src', 'mydump');
    mkdirSync(dumpDir, { recursive: true });
    run('tar', ['-xf', PG_TAR, '-C', dumpDir]);
  });

  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('member names', () => {
    it('recognises junk that archivers add', () => {
      assert.equal(isJunkName('mydump/._toc.dat'), true);
      assert.equal(isJunkName('._toc.dat'), true);
      assert.equal(isJunkName('__MACOSX/mydump/toc.dat'), true);
      assert.equal(isJunkName('mydump/.DS_Store'), true);
      assert.equal(isJunkName('mydump/toc.dat'), false);
      assert.equal(isJunkName('a._b/toc.dat'), false);
    });

    it('strips leading ./', () => {
      assert.equal(normalizeMemberName('./mydump/toc.dat'), 'mydump/toc.dat');
      assert.equal(normalizeMemberName('././toc.dat'), 'toc.dat');
      assert.equal(normalizeMemberName('toc.dat'), 'toc.dat');
    });
  });

  describe('tar headers', () => {
    it('parses GNU base-256 sizes', () => {
      const field = Buffer.alloc(12);
      field[0] = 0x80;
      field.writeUIntBE(10 * 1024 ** 3, 6, 6); // 10 GiB, big-endian in the low bytes
      assert.equal(parseTarSize(field), 10 * 1024 ** 3);
      const header = makeHeader('huge.dat', field);
      assert.equal(tarChecksumMatches(header), true);
      assert.equal(parseTarHeader(header).size, 10737418240);
      const negative = Buffer.alloc(12, 0xff);
      assert.throws(() => parseTarSize(negative));
    });

    it('parses octal sizes with space or NUL terminators', () => {
      assert.equal(parseTarSize(Buffer.from('00000042663 ', 'latin1')), 17843);
      assert.equal(parseTarSize(Buffer.from('   42663\0\0\0\0', 'latin1')), 17843);
      assert.throws(() => parseTarSize(Buffer.from('0000004x663 ', 'latin1')));
    });

    it('accepts signed-char checksums and rejects wrong ones', () => {
      const signed = makeHeader('caf\u00e9.dat', 5, { signedChecksum: true });
      assert.equal(tarChecksumMatches(signed), true);
      assert.equal(parseTarHeader(signed).name, 'caf\u00e9.dat');
      const broken = Buffer.from(signed);
      broken[0] = 0x41;
      assert.equal(tarChecksumMatches(broken), false);
    });

    it('knows the three magics pg_restore accepts', () => {
      assert.equal(isTarHeader(makeHeader('a', 1, { magic: 'ustar\x0000' })), true);
      assert.equal(isTarHeader(makeHeader('a', 1, { magic: 'ustar  \0' })), true);
      assert.equal(isTarHeader(makeHeader('a', 1, { magic: 'ustar00\0' })), true);
      assert.equal(isTarHeader(makeHeader('a', 1, { magic: 'nostar\0\0' })), false);
      assert.equal(parseTarHeader(makeHeader('a', 1, { magic: 'ustar  \0' })).magic, 'gnu');
    });

    it('indexes a crafted base-256 member as truncated instead of reading 10 GiB', async () => {
      const field = Buffer.alloc(12);
      field[0] = 0x80;
      field.writeUIntBE(10 * 1024 ** 3, 6, 6);
      const file = path.join(tmp, 'huge.tar');
      writeFileSync(file, Buffer.concat([makeHeader('toc.dat', 3), Buffer.from('abc'), Buffer.alloc(509), makeHeader('huge.dat', field), Buffer.alloc(2048, 7)]));
      const index = await indexTar(file);
      assert.deepEqual(
        index.members.map((m) => [m.name, m.size, m.offset, m.truncated]),
        [
          ['toc.dat', 3, 512, false],
          ['huge.dat', 10737418240, 1536, true],
        ],
      );
    });
  });

  describe('tar walker on large files', () => {
    it('indexes a 12 GiB tar without reading its data', async () => {
      // Mostly a hole in a sparse file: reading the data would take many seconds.
      const big = 12 * 1024 ** 3;
      const field = Buffer.alloc(12);
      field[0] = 0x80;
      field.writeUIntBE(big, 6, 6);
      const file = path.join(tmp, 'big.tar');
      writeFileSync(file, makeHeader('toc.dat', 5, { magic: 'ustar  \0' }));
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, Buffer.from('hello'), 0, 5, 512);
        writeSync(fd, makeHeader('3377.dat', field, { magic: 'ustar  \0' }), 0, 512, 1024);
        writeSync(fd, makeHeader('restore.sql', 3), 0, 512, 1536 + big);
        writeSync(fd, Buffer.from('end'), 0, 3, 2048 + big);
        writeSync(fd, Buffer.alloc(1024), 0, 1024, 2560 + big);
      } finally {
        closeSync(fd);
      }
      const started = Date.now();
      const index = await indexTar(file);
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      assert.deepEqual(
        index.members.map((m) => [m.name, m.size, m.offset, m.truncated]),
        [
          ['toc.dat', 5, 512, false],
          ['3377.dat', big, 1536, false],
          ['restore.sql', 3, 2048 + big, false],
        ],
      );
      const c = await openTarContainer(file, '', index);
      assert.equal((await c.readAll('restore.sql')).toString(), 'end');
      assert.equal((await c.readAll('toc.dat')).toString(), 'hello');
      rmSync(file);
    });
  });

  describe('tar walker on real tar files', () => {
    it('matches tar -tvf for a pg_dump tar: names, sizes and data offsets', async () => {
      const listing = tarListing(PG_TAR);
      const index = await indexTar(PG_TAR);
      assert.equal(index.members.length, 11);
      assert.deepEqual(
        index.members.map((m) => [m.name, m.size, m.offset]),
        listing.map((l) => [l.name, l.size, (l.block + 1) * 512]),
      );
      assert.ok(index.members.every((m) => !m.truncated));
      assert.equal(index.members[0]?.name, 'toc.dat');
    });

    it('matches tar -tvf for hundreds of tiny members, empty ones included', async () => {
      const dir = path.join(tmp, 'tiny');
      mkdirSync(dir);
      const names: string[] = [];
      for (let i = 0; i < 300; i++) {
        const name = `blob_${1000 + i}.dat`;
        writeFileSync(path.join(dir, name), Buffer.alloc((i * 37) % 1500, 65 + (i % 26)));
        names.push(name);
      }
      const file = path.join(tmp, 'tiny.tar');
      run('tar', ['-cf', file, ...names], dir);
      const index = await indexTar(file);
      assert.deepEqual(
        index.members.map((m) => [m.name, m.size, m.offset]),
        tarListing(file).map((l) => [l.name, l.size, (l.block + 1) * 512]),
      );
      const c = await openTarContainer(file, '', index);
      assert.equal(c.member('blob_1000.dat')?.size, 0);
      assert.equal((await streamBytes(c.openStream('blob_1000.dat'))).length, 0);
      assert.deepEqual(await c.readAll('blob_1299.dat'), readFileSync(path.join(dir, 'blob_1299.dat')));
    });

    it('reads member bytes exactly as tar extracts them', async () => {
      const c = await openTarContainer(PG_TAR, '');
      assert.equal(c.kind, 'tar');
      for (const name of ['toc.dat', '2649.dat', 'blob_16504.dat', 'restore.sql']) {
        const expected = tarBytes(PG_TAR, name);
        assert.deepEqual(await c.readAll(name), expected, name);
        assert.deepEqual(await streamBytes(c.openStream(name)), expected, name);
      }
      assert.equal(c.member('2650.dat')?.size, 92068);
      assert.equal(c.member('nope.dat'), undefined);
      await rejectsWith(c.readAll('nope.dat'), 'missing-data', 'pg18-rich.tar', 'nope.dat');
      await c.close();
    });

    it('keeps a member cut off by the end of the file, marked truncated', async () => {
      const index = await indexTar(PG_TAR);
      const victim = index.members.find((m) => m.name === '2649.dat');
      assert.ok(victim);
      const file = path.join(tmp, 'cut.tar');
      copyFileSync(PG_TAR, file);
      truncateSync(file, victim.offset + 1000);
      const cut = await indexTar(file);
      assert.deepEqual(
        cut.members.map((m) => m.name),
        ['toc.dat', '2655.dat', '2656.dat', '2647.dat', '2652.dat', '2653.dat', '2649.dat'],
      );
      assert.deepEqual(
        cut.members.map((m) => m.truncated),
        [false, false, false, false, false, false, true],
      );
      const c = await openTarContainer(file, '', cut);
      assert.equal(c.member('2649.dat')?.size, 98580);
      assert.equal(c.member('2649.dat')?.truncated, true);
      const partial = await c.readAll('2649.dat');
      assert.equal(partial.length, 1000);
      assert.deepEqual(partial, tarBytes(PG_TAR, '2649.dat').subarray(0, 1000));
      assert.equal((await streamBytes(c.openStream('2649.dat'))).length, 1000);
    });

    it('ends at a header cut in half without complaint', async () => {
      const index = await indexTar(PG_TAR);
      const second = index.members[1];
      assert.ok(second);
      const file = path.join(tmp, 'cut-header.tar');
      copyFileSync(PG_TAR, file);
      truncateSync(file, second.offset - 300); // inside the second member's header
      const cut = await indexTar(file);
      assert.deepEqual(
        cut.members.map((m) => [m.name, m.truncated]),
        [['toc.dat', false]],
      );
    });

    it('reports a bad header checksum in the middle with the file name and offset', async () => {
      const index = await indexTar(PG_TAR);
      const third = index.members[2];
      assert.ok(third);
      const headerAt = third.offset - 512;
      const file = path.join(tmp, 'bad-sum.tar');
      const bytes = readFileSync(PG_TAR);
      bytes[headerAt] = (bytes[headerAt] ?? 0) ^ 0x01; // flip a bit in the member name
      writeFileSync(file, bytes);
      await rejectsWith(indexTar(file), 'corrupt', 'bad-sum.tar', `byte offset ${headerAt}`);
    });

    it('accepts the pre-9.3 pg_dump magic ustar00', async () => {
      const bytes = readFileSync(PG_TAR);
      const headers = (await indexTar(PG_TAR)).members.map((m) => m.offset - 512);
      for (const at of headers) {
        bytes.write('ustar00\0', at + 257, 'latin1');
        bytes.fill(0x20, at + 148, at + 156);
        let sum = 0;
        for (let i = 0; i < 512; i++) sum += bytes[at + i] ?? 0;
        bytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
      }
      const file = path.join(tmp, 'old.tar');
      writeFileSync(file, bytes);
      assert.equal(isTarHeader(bytes.subarray(0, 512)), true);
      assert.equal(parseTarHeader(bytes.subarray(0, 512)).magic, 'ustar00');
      const index = await indexTar(file);
      assert.equal(index.members.length, 11);
      assert.equal(index.members[10]?.name, 'restore.sql');
    });

    describe('long names', () => {
      const longDir = 'folder-' + 'd'.repeat(60);
      const longFile = 'file-' + 'f'.repeat(80) + '.dat';
      const longName = `${longDir}/${longFile}`; // 157 characters: prefix + name in ustar, @LongLink in gnu, path record in pax

      before(() => {
        mkdirSync(path.join(tmp, 'long', longDir), { recursive: true });
        writeFileSync(path.join(tmp, 'long', longName), 'long name content\n');
        writeFileSync(path.join(tmp, 'long', longDir, 'short.dat'), 'short\n');
      });

      for (const format of ['gnu', 'pax', 'ustar']) {
        it(`reads a ${longName.length}-character name from a ${format} tar`, async () => {
          const file = path.join(tmp, `long-${format}.tar`);
          run('tar', [`--format=${format}`, '-cf', file, longDir], path.join(tmp, 'long'));
          const index = await indexTar(file);
          const names = index.members.map((m) => m.name).sort();
          assert.deepEqual(names, [`${longDir}/short.dat`, longName].sort());
          const c = await openTarContainer(file, longDir, index);
          assert.equal((await c.readAll(longFile)).toString(), 'long name content\n');
          assert.equal(c.member(longFile)?.size, 18);
          // GNU tar -R gives the block of the ././@LongLink header, which is followed by one block of
          // name and then the member's own header; pax and ustar give the member's own header.
          const listed = tarListing(file).filter((l) => l.kind === '-');
          assert.equal(listed.length, 2);
          for (const l of listed) {
            const m = index.members.find((x) => x.name === l.name);
            const skip = format === 'gnu' && l.name.length > 100 ? 3 : 1;
            assert.equal(m?.offset, (l.block + skip) * 512, `${format} ${l.name}`);
          }
        });
      }
    });
  });

  describe('tar and zip files wrapping a directory dump', () => {
    let wrapDir: string;

    before(() => {
      wrapDir = path.join(tmp, 'wrap');
      mkdirSync(path.join(wrapDir, 'mydump'), { recursive: true });
      mkdirSync(path.join(wrapDir, '__MACOSX', 'mydump'), { recursive: true });
      for (const f of readdirSync(dumpDir)) copyFileSync(path.join(dumpDir, f), path.join(wrapDir, 'mydump', f));
      writeFileSync(path.join(wrapDir, 'mydump', '._toc.dat'), 'AppleDouble junk');
      writeFileSync(path.join(wrapDir, 'mydump', '.DS_Store'), 'finder junk');
      writeFileSync(path.join(wrapDir, '__MACOSX', 'mydump', '._2649.dat'), 'junk');
    });

    it('exposes tar members under the root, relative to it, junk left out', async () => {
      const file = path.join(tmp, 'wrapped.tar');
      run('tar', ['-cf', file, './mydump', '__MACOSX'], wrapDir);
      const c = await openTarContainer(file, 'mydump');
      const names = c.members.map((m) => m.name).sort();
      assert.deepEqual(names, readdirSync(dumpDir).sort());
      for (const m of c.members) assert.equal(m.size, statSync(path.join(dumpDir, m.name)).size, m.name);
      assert.deepEqual(await c.readAll('toc.dat'), readFileSync(path.join(dumpDir, 'toc.dat')));
      assert.equal(c.member('._toc.dat'), undefined);
      const top = await openTarContainer(file, '');
      assert.ok(top.member('mydump/toc.dat'));
      assert.ok(!top.members.some((m) => m.name.includes('__MACOSX') || m.name.includes('._')));
    });

    it('exposes zip entries under the root, inflated, junk left out', async () => {
      const file = path.join(tmp, 'wrapped.zip');
      run('zip', ['-qr', file, 'mydump', '__MACOSX'], wrapDir);
      const c = await openZipContainer(file, 'mydump');
      assert.equal(c.kind, 'zip');
      assert.deepEqual(c.members.map((m) => m.name).sort(), readdirSync(dumpDir).sort());
      for (const m of c.members) {
        assert.equal(m.size, statSync(path.join(dumpDir, m.name)).size, m.name);
        assert.equal(m.truncated, false);
      }
      for (const name of ['toc.dat', '2650.dat', 'blobs_2659.toc']) {
        const expected = readFileSync(path.join(dumpDir, name));
        assert.deepEqual(await c.readAll(name), expected, name);
        assert.deepEqual(await streamBytes(c.openStream(name)), expected, name);
      }
      assert.equal(c.member('._toc.dat'), undefined);
      assert.throws(() => c.openStream('missing.dat'), (err: unknown) => err instanceof DumpError && err.code === 'missing-data');
      await c.close();
    });

    it('reports a cut-off zip file as truncated', async () => {
      const full = path.join(tmp, 'wrapped.zip');
      const file = path.join(tmp, 'cut.zip');
      copyFileSync(full, file);
      truncateSync(file, Math.floor(statSync(full).size / 2));
      await rejectsWith(openZipContainer(file, 'mydump'), 'truncated', 'cut.zip');
    });
  });

  describe('directory', () => {
    it('lists the regular files with their sizes, junk left out', async () => {
      const dir = path.join(tmp, 'dirdump');
      mkdirSync(path.join(dir, 'sub'), { recursive: true });
      for (const f of readdirSync(dumpDir)) copyFileSync(path.join(dumpDir, f), path.join(dir, f));
      writeFileSync(path.join(dir, '._toc.dat'), 'junk');
      writeFileSync(path.join(dir, '.DS_Store'), 'junk');
      const c = await openDirectoryContainer(dir);
      assert.equal(c.kind, 'directory');
      assert.equal(c.path, dir);
      assert.deepEqual(c.members.map((m) => m.name).sort(), readdirSync(dumpDir).sort());
      assert.equal(c.member('2649.dat')?.size, 98580);
      assert.equal(c.member('sub'), undefined);
      assert.ok(c.members.every((m) => !m.truncated));
      assert.deepEqual(await c.readAll('blob_16504.dat'), readFileSync(path.join(dumpDir, 'blob_16504.dat')));
      assert.deepEqual(await streamBytes(c.openStream('2655.dat')), readFileSync(path.join(dumpDir, '2655.dat')));
      await rejectsWith(c.readAll('9999.dat'), 'missing-data', 'dirdump', '9999.dat');
    });

    it('reports a folder that does not exist', async () => {
      await rejectsWith(openDirectoryContainer(path.join(tmp, 'no-such-folder')), 'not-found', 'no-such-folder');
    });
  });
});
