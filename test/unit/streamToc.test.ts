/**
 * The TOC of a custom archive read from the start of a stream (a copy plans on it before any
 * data has gone by), and the copy's checks on what the stream holds.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { withArchive } from '../../src/core/archive';
import { exactPattern, planDifference } from '../../src/core/copy/copyDatabase';
import { TocGate, tocFromPrefix } from '../../src/core/copy/streamToc';
import { buildPlan } from '../../src/core/plan/closure';
import { sharedFixture } from '../support/env';

const FILE = sharedFixture('pg18-rich.custom.dump');
const describeEntries = (entries: readonly { dumpId: number; desc: string | null; namespace: string | null; tag: string | null; defn: string | null }[]) =>
  entries.map((e) => `${e.dumpId} ${e.desc} ${e.namespace} ${e.tag} ${e.defn}`);

describe('TOC from the start of a stream', () => {
  it('reads the same entries as the archive reader, and nothing from a prefix that stops inside the TOC', async () => {
    const bytes = fs.readFileSync(FILE);
    const streamed = tocFromPrefix(bytes, 'stream');
    assert.ok(streamed);
    await withArchive(FILE, async (opened) => assert.deepEqual(describeEntries(streamed.entries), describeEntries(opened.archive.entries)));
    assert.equal(tocFromPrefix(bytes.subarray(0, 200), 'stream'), undefined);
    // Cut anywhere: not there yet, or all of it; never an error, never a different TOC.
    let seen = false;
    for (let cut = 0; cut <= bytes.length; cut += 97) {
      const got = tocFromPrefix(bytes.subarray(0, cut), 'stream');
      if (got) assert.equal(got.entries.length, streamed.entries.length);
      assert.ok(!seen || got, `the TOC was read from ${cut - 97} bytes but not from ${cut}`);
      seen ||= got !== undefined;
    }
    assert.ok(seen);
    assert.throws(() => tocFromPrefix(Buffer.from('not an archive at all, just text'), 'stream'), /stream/);
  });

  it('holds every byte back until its callback has settled, then passes all of them on, in order', async () => {
    const bytes = fs.readFileSync(FILE);
    const out: Buffer[] = [];
    let settled = false;
    const gate = new TocGate('stream', async (archive) => {
      assert.ok(archive.entries.length > 10);
      assert.equal(out.length, 0, 'nothing passed before the TOC was read');
      await new Promise((r) => setImmediate(r));
      settled = true;
    });
    const chunks = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000));
    await pipeline(Readable.from(chunks), gate, new Writable({ write: (c: Buffer, _e, done) => (assert.ok(settled), out.push(c), done()) }));
    assert.ok(Buffer.concat(out).equals(bytes));
    assert.equal(gate.bytes, bytes.length);
  });

  it('fails the stream when its callback throws, passing nothing on', async () => {
    const gate = new TocGate('stream', () => {
      throw new Error('refused');
    });
    const out: Buffer[] = [];
    await assert.rejects(pipeline(Readable.from([fs.readFileSync(FILE)]), gate, new Writable({ write: (c: Buffer, _e, done) => (out.push(c), done()) })), /refused/);
    assert.equal(out.length, 0);
  });
});

describe('copy plans', () => {
  it('an exact pg_dump pattern quotes both names and doubles their quotes', () => {
    assert.equal(exactPattern('Audit Log', 'Event "Quoted" Name'), '"Audit Log"."Event ""Quoted"" Name"');
  });

  it('planDifference: nothing for the same plan, one line naming an entry that is missing', async () => {
    await withArchive(FILE, async (opened) => {
      const a = buildPlan(opened.archive, { tables: ['sales.customer'], withDeps: true });
      assert.equal(planDifference(a, a), undefined);
      const fewer = { ...a, entries: a.entries.filter((p) => p.entry.desc !== 'TABLE DATA') };
      assert.match(planDifference(a, fewer) ?? '', /^TABLE DATA sales customer of the pre-flight is missing in the stream$/);
      assert.match(planDifference(fewer, a) ?? '', /^TABLE DATA sales customer of the stream was not in the pre-flight$/);
    });
  });
});
