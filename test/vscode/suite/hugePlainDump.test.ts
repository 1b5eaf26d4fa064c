/**
 * The Large Dump Viewer on a dump VS Code will not give extensions as a document: real pg_dump
 * output above 50 MB, made here from a generated table on the test server (in a temporary
 * folder, removed afterwards), plain and gzip-compressed. Checks the index (made in the worker,
 * its byte ranges), the index cache (a second open reads it; a changed mtime does not), section
 * documents, COPY pages, and cancellation.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as vscode from 'vscode';
import type { Services } from '../../../src/services';
import { testEnv } from '../../support/env';
import { HUGE_DUMP_ROWS as ROWS, makeHugePlainDump } from '../../support/hugeDump';
import { extensionServices } from '../extension';
import { until } from '../../support/poll';

const VIEWER = 'pgDumpExplorer.plainDump';

/** The viewer's index of `uri`, once the viewer opened on it has one. */
function viewerIndex(s: Services, uri: vscode.Uri) {
  return until('the viewer to start indexing', () => s.plain.indexes.heldFor(uri), { timeoutMs: 120_000 });
}

describe('large plain dump viewer (a dump above 50 MB)', function () {
  this.timeout(300_000);
  let dir: string;
  let sqlFile: string;
  let gzFile: string;
  let s: Services;

  before(async () => {
    s = await extensionServices();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-huge-'));
    sqlFile = path.join(dir, 'huge.sql');
    gzFile = path.join(dir, 'huge.sql.gz');
    await makeHugePlainDump(testEnv().server, sqlFile);
    await pipeline(fs.createReadStream(sqlFile), createGzip({ level: 1 }), fs.createWriteStream(gzFile));
    const size = fs.statSync(sqlFile).size;
    console.log(`      generated ${(size / 1048576).toFixed(1)} MB of pg_dump output (${(fs.statSync(gzFile).size / 1048576).toFixed(1)} MB gzipped)`);
    assert.ok(size > 50 * 1024 * 1024, `the dump is only ${size} bytes`);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('indexes it in the worker; byte ranges slice to each object\'s SQL', async () => {
    const uri = vscode.Uri.file(sqlFile);
    await vscode.commands.executeCommand('vscode.openWith', uri, VIEWER);
    const { index, source, ms } = await viewerIndex(s, uri);
    console.log(`      indexed ${index.entries.length} sections of ${(index.size / 1048576).toFixed(1)} MB in ${ms} ms (${source})`);
    assert.equal(source, 'scan');
    assert.equal(index.size, fs.statSync(sqlFile).size);
    const find = (desc: string, tag: string) => {
      const e = index.entries.find((x) => x.desc === desc && x.namespace === 'big' && x.tag === tag);
      assert.ok(e, `${desc} big.${tag} not indexed: ${index.entries.map((x) => `${x.desc} ${x.tag}`).join(', ')}`);
      return e;
    };
    const fd = fs.openSync(sqlFile, 'r');
    const slice = (e: { offset: number; length: number }) => {
      const buf = Buffer.alloc(Math.min(e.length, 4096));
      fs.readSync(fd, buf, 0, buf.length, e.offset);
      return buf.toString('utf8');
    };
    try {
      assert.match(slice(find('TABLE', 'events')), /^--\n-- Name: events; Type: TABLE; Schema: big; Owner: \S+\n--\n\nCREATE TABLE big\.events \(/);
      assert.match(slice(find('INDEX', 'events_account_idx')), /CREATE INDEX events_account_idx ON big\.events USING btree \(account_id\);/);
      assert.match(slice(find('FK CONSTRAINT', 'events events_account_id_fkey')), /REFERENCES big\.account\(id\)/);
      const data = find('TABLE DATA', 'events');
      assert.equal(data.rows, ROWS);
      assert.ok(data.length > 50 * 1024 * 1024);
      assert.match(slice(data), /\nCOPY big\.events \(id, account_id, payload\) FROM stdin;\n1\t2\t/);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('opens a section as a small SQL document, and COPY rows a page at a time', async () => {
    const uri = vscode.Uri.file(sqlFile);
    await vscode.commands.executeCommand('vscode.openWith', uri, VIEWER);
    const { index } = await viewerIndex(s, uri);
    const table = index.entries.find((e) => e.desc === 'TABLE' && e.tag === 'events')!;
    const section = await s.plain.sections.open(sqlFile, 'none', table);
    assert.equal(section.document.languageId, 'sql');
    assert.match(section.document.getText(), /^--\n-- Name: events; Type: TABLE; Schema: big;[^\n]*\n--\n\nCREATE TABLE big\.events \(/);

    const data = index.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'events')!;
    const first = await s.plain.sections.open(sqlFile, 'none', data);
    const text = first.document.getText();
    assert.match(text, /^-- big\.events \(TABLE DATA\): rows 1–1,000 of 850,000\nCOPY big\.events \(id, account_id, payload\) FROM stdin;\n1\t2\t/);
    assert.equal(text.split('\n').filter((l) => /^\d+\t/.test(l)).length, 1000);
    assert.match(text, /more rows follow/);
    assert.ok(text.length < 200_000, `page of ${text.length} characters`);

    await vscode.commands.executeCommand('pgDumpExplorer.plain.nextPage', first.document.uri);
    const second = vscode.window.activeTextEditor!.document;
    assert.match(second.getText(), /^-- big\.events \(TABLE DATA\): rows 1,001–2,000 of 850,000\nCOPY [^\n]*\n1001\t/);
  });

  it('serves a second open from the cache, and indexes again when the mtime changes', async () => {
    const uri = vscode.Uri.file(sqlFile);
    await vscode.commands.executeCommand('vscode.openWith', uri, VIEWER);
    const first = await viewerIndex(s, uri);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(s.plain.indexes.heldFor(uri), undefined, 'closing the viewer lets the index go');

    await vscode.commands.executeCommand('vscode.openWith', uri, VIEWER);
    const cached = await viewerIndex(s, uri);
    console.log(`      second open: ${cached.source} in ${cached.ms} ms`);
    assert.equal(cached.source, 'cache');
    assert.deepEqual(cached.index.entries, first.index.entries);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(sqlFile, later, later);
    await vscode.commands.executeCommand('vscode.openWith', uri, VIEWER);
    const again = await viewerIndex(s, uri);
    assert.equal(again.source, 'scan', 'a changed mtime is not served from the cache');
    assert.deepEqual(again.index.entries, first.index.entries);
  });

  it('indexes the .sql.gz to the same offsets and reads its sections', async () => {
    const plain = await s.plain.indexes.index(vscode.Uri.file(sqlFile));
    const uri = vscode.Uri.file(gzFile);
    await vscode.commands.executeCommand('vscode.openWith', uri, VIEWER);
    const { index } = await viewerIndex(s, uri);
    assert.equal(index.compression, 'gzip');
    assert.deepEqual(index.entries, plain.index.entries);
    const fk = index.entries.find((e) => e.desc === 'FK CONSTRAINT')!;
    const doc = await s.plain.sections.open(gzFile, 'gzip', fk);
    assert.match(doc.document.getText(), /REFERENCES big\.account\(id\)/);
  });

  it('stops indexing when cancelled', async () => {
    const later = new Date(Date.now() + 120_000);
    fs.utimesSync(sqlFile, later, later); // not in the cache
    const controller = new AbortController();
    let progress = 0;
    const started = Date.now();
    await assert.rejects(
      s.plain.indexes.index(vscode.Uri.file(gzFile.replace(/\.gz$/, '')), {
        signal: controller.signal,
        onProgress: (bytes) => {
          progress = bytes;
          controller.abort();
        },
      }),
      (err: unknown) => err instanceof Error && err.name === 'IndexingCancelled',
    );
    console.log(`      cancelled after ${(progress / 1048576).toFixed(0)} MB, ${Date.now() - started} ms`);
    assert.ok(progress > 0 && progress < fs.statSync(sqlFile).size, 'cancelled before the end');
  });
});
