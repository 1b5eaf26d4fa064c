import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withArchive } from '../../src/core/archive';
import { DumpError } from '../../src/core/errors';
import { buildPlan } from '../../src/core/plan/closure';
import { bytesOnDisk, freeSpaceProblem, isPackedDirectoryDump, unpackForRestore } from '../../src/core/restore/unpackForRestore';
import { sharedFixture } from '../support/env';

describe('unpacking a wrapped directory dump for pg_restore', () => {
  describe('the free-space decision', () => {
    it('rounds every file up to whole blocks', () => {
      assert.equal(bytesOnDisk([], 4096), 0);
      assert.equal(bytesOnDisk([0, 1, 4096, 4097], 4096), 0 + 4096 + 4096 + 8192);
      assert.equal(bytesOnDisk([10, 20], 0), 30, 'an unknown block size counts bytes');
    });

    it('lets through what fits, to the byte', () => {
      assert.equal(freeSpaceProblem(0, 0, '/t', 'a.zip'), undefined);
      assert.equal(freeSpaceProblem(5 * 1024 * 1024, 5 * 1024 * 1024, '/t', 'a.zip'), undefined);
    });

    it('refuses what does not, in one line naming the needed and free sizes and where', () => {
      const problem = freeSpaceProblem(3 * 1024 ** 3, 512 * 1024 ** 2, '/scratch', 'nightly.zip');
      assert.equal(
        problem,
        'not enough free space to unpack nightly.zip for pg_restore: it needs 3.0 GB in /scratch, which has 512 MB free; free some space there, set TMPDIR to a folder with more, or extract the dump and restore the folder',
      );
      assert.ok(freeSpaceProblem(4097, 4096, '/t', 'a.tar'));
    });
  });

  describe('the copy', () => {
    let tmp: string;
    let zip: string;
    /** The fixture's folder, as pg_dump wrote it. */
    let dumpDir: string;

    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-unpack-unit-'));
      dumpDir = path.join(tmp, 'src', 'mydump');
      fs.mkdirSync(dumpDir, { recursive: true });
      execFileSync('tar', ['-xf', sharedFixture('pg18-rich.tar'), '-C', dumpDir]);
      fs.rmSync(path.join(dumpDir, 'restore.sql'));
      fs.writeFileSync(path.join(dumpDir, '._toc.dat'), 'AppleDouble junk');
      fs.mkdirSync(path.join(tmp, 'src', '__MACOSX', 'mydump'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'src', '__MACOSX', 'mydump', '._2649.dat'), 'junk');
      zip = path.join(tmp, 'mydump.zip');
      execFileSync('zip', ['-qr', zip, 'mydump', '__MACOSX'], { cwd: path.join(tmp, 'src') });
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    /** A folder of its own for each test's copies, to see that nothing is left in it. */
    function parentDir(): string {
      return fs.mkdtempSync(path.join(tmp, 'parent-'));
    }

    it('holds toc.dat and the planned entries’ data files only, byte for byte, private, and goes away on remove()', async () => {
      await withArchive(zip, async (opened) => {
        assert.equal(isPackedDirectoryDump(opened.archive), true);
        const plan = buildPlan(opened.archive, { tables: ['sales.order'], withDeps: true });
        const dataFiles = plan.entries.flatMap((p) => (p.entry.data?.kind === 'file' ? [p.entry.data.name] : []));
        assert.ok(dataFiles.length >= 1, 'the plan restores data');
        const parent = parentDir();
        const starts: { dir: string; files: number; bytes: number }[] = [];
        const copy = await unpackForRestore(opened, plan.entries.map((p) => p.entry), { parent, onStart: (dir, c) => starts.push({ dir, ...c }) });
        try {
          assert.deepEqual(fs.readdirSync(copy.path).sort(), ['toc.dat', ...dataFiles].sort());
          for (const name of fs.readdirSync(copy.path)) {
            assert.deepEqual(fs.readFileSync(path.join(copy.path, name)), fs.readFileSync(path.join(dumpDir, name)), name);
            assert.equal(fs.statSync(path.join(copy.path, name)).mode & 0o777, 0o600, name);
          }
          assert.equal(fs.statSync(copy.path).mode & 0o777, 0o700);
          assert.equal(path.dirname(copy.path), parent);
          const bytes = fs.readdirSync(copy.path).reduce((sum, n) => sum + fs.statSync(path.join(copy.path, n)).size, 0);
          assert.deepEqual(starts, [{ dir: copy.path, files: 1 + dataFiles.length, bytes }]);
          assert.deepEqual({ files: copy.files, bytes: copy.bytes }, { files: 1 + dataFiles.length, bytes });
        } finally {
          await copy.remove();
        }
        assert.deepEqual(fs.readdirSync(parent), []);
      });
    });

    it('a whole restore takes every file of the folder, large objects and their list included, and no junk', async () => {
      await withArchive(zip, async (opened) => {
        const plan = buildPlan(opened.archive, { sections: ['pre-data', 'data', 'post-data'] });
        const copy = await unpackForRestore(opened, plan.entries.map((p) => p.entry), { parent: parentDir() });
        try {
          const names = fs.readdirSync(copy.path).sort();
          assert.deepEqual(names, fs.readdirSync(dumpDir).filter((n) => !n.startsWith('._')).sort());
          assert.ok(names.some((n) => /^blob_\d+\.dat$/.test(n)) && names.some((n) => /^blobs_\d+\.toc$/.test(n)), names.join(' '));
        } finally {
          await copy.remove();
        }
      });
    });

    it('a tar file wrapping the folder gives the same copy', async () => {
      const tar = path.join(tmp, 'mydump.tar');
      execFileSync('tar', ['-cf', tar, 'mydump', '__MACOSX'], { cwd: path.join(tmp, 'src') });
      await withArchive(tar, async (opened) => {
        assert.equal(opened.archive.container, 'tar');
        const plan = buildPlan(opened.archive, { tables: ['sales.order'], withDeps: true });
        const copy = await unpackForRestore(opened, plan.entries.map((p) => p.entry), { parent: parentDir() });
        try {
          for (const name of fs.readdirSync(copy.path)) assert.deepEqual(fs.readFileSync(path.join(copy.path, name)), fs.readFileSync(path.join(dumpDir, name)), name);
          assert.ok(fs.readdirSync(copy.path).includes('toc.dat'));
        } finally {
          await copy.remove();
        }
      });
    });

    it('an abort while copying removes the folder and throws the abort', async () => {
      await withArchive(zip, async (opened) => {
        const plan = buildPlan(opened.archive, { sections: ['pre-data', 'data', 'post-data'] });
        const parent = parentDir();
        const controller = new AbortController();
        let started = '';
        await assert.rejects(
          unpackForRestore(opened, plan.entries.map((p) => p.entry), {
            parent,
            signal: controller.signal,
            onStart: (dir) => {
              started = dir;
              controller.abort();
            },
          }),
          (err: unknown) => err instanceof Error && err.name === 'AbortError',
        );
        assert.ok(started.startsWith(parent));
        assert.deepEqual(fs.readdirSync(parent), []);
      });
    });

    it('a dump that is not in a tar or zip file has nothing to unpack', async () => {
      await withArchive(sharedFixture('pg18-rich.custom.dump'), async (opened) => {
        assert.equal(isPackedDirectoryDump(opened.archive), false);
        await assert.rejects(unpackForRestore(opened, []), (err: unknown) => err instanceof DumpError && err.code === 'usage');
      });
    });
  });
});
