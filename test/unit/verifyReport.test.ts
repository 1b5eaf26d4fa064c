/**
 * The restore drill's pure parts: where the report goes (never over or into the dump), the
 * scratch database's name, objects by kind against the TOC, and the Markdown a person reads.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TocEntry } from '../../src/core/model/types';
import { compareObjectCounts, type CatalogObjects } from '../../src/core/verify/objectCounts';
import { formatFailure, reportMarkdown, reportPaths } from '../../src/core/verify/report';
import type { VerifyReport } from '../../src/core/verify/types';
import { scratchDatabaseName } from '../../src/core/verify/verify';

const entry = (dumpId: number, desc: string, namespace: string | null, tag: string): TocEntry => ({ dumpId, desc, namespace, tag }) as TocEntry;
const key = (ns: string, tag: string) => `${ns}\u0000${tag}`;

describe('verify report paths', () => {
  it('beside the dump by default: NAME.verify.md and NAME.verify.json', () => {
    assert.deepEqual(reportPaths('/backups/nightly.dump'), { markdown: '/backups/nightly.dump.verify.md', json: '/backups/nightly.dump.verify.json' });
  });

  it('beside a directory dump, not inside it (a trailing slash changes nothing)', () => {
    assert.deepEqual(reportPaths('/backups/dir-dump/'), { markdown: '/backups/dir-dump.verify.md', json: '/backups/dir-dump.verify.json' });
  });

  it('--report PATH: the Markdown there, the JSON beside it', () => {
    assert.deepEqual(reportPaths('/b/x.dump', '/r/drill.md'), { markdown: '/r/drill.md', json: '/r/drill.json' });
    assert.deepEqual(reportPaths('/b/x.dump', '/r/drill.json'), { markdown: '/r/drill.md', json: '/r/drill.json' });
    assert.deepEqual(reportPaths('/b/x.dump', '/r/drill'), { markdown: '/r/drill', json: '/r/drill.json' });
  });

  it('refuses a report over the dump or inside a directory dump', () => {
    assert.throws(() => reportPaths('/b/x.dump', '/b/x.dump'), /over the dump/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-verify-unit-'));
    try {
      assert.throws(() => reportPaths(dir, path.join(dir, 'report.md')), /into the dump/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scratch database names', () => {
  it('plain lower-case, unique by time and a random part, within 63 bytes', () => {
    const at = new Date('2026-12-07T10:11:12Z');
    const name = scratchDatabaseName('Sales "Prod" — ünïcødé database name that goes on and on', at);
    assert.match(name, /^pgdx_verify_sales_prod_n_c_d_dat_20261207101112_[0-9a-f]{4}$/);
    assert.ok(Buffer.byteLength(name) <= 63);
    assert.match(scratchDatabaseName('---', at), /^pgdx_verify_dump_20261207101112_/);
  });
});

describe('objects by kind', () => {
  const entries = [
    entry(1, 'SCHEMA', null, 'sales'),
    entry(2, 'TABLE', 'sales', 'order'),
    entry(3, 'TABLE', 'sales', 'customer'),
    entry(4, 'CONSTRAINT', 'sales', 'order order_pkey'),
    entry(5, 'COMMENT', null, 'SCHEMA public'),
    entry(6, 'SCHEMA', null, 'public'),
  ];

  it('what the restore made (the database before taken off) equals the TOC', () => {
    const before: CatalogObjects = new Map([['SCHEMA', [key('', 'public')]]]);
    const after: CatalogObjects = new Map([
      ['SCHEMA', [key('', 'public'), key('', 'sales')]],
      ['TABLE', [key('sales', 'order'), key('sales', 'customer')]],
      ['CONSTRAINT', [key('sales', 'order order_pkey')]],
    ]);
    const counts = compareObjectCounts(entries, before, after);
    assert.deepEqual(
      counts.map((k) => `${k.kind} ${k.dump}/${k.database} ${k.matches}`),
      ['SCHEMA 2/2 true', 'TABLE 2/2 true', 'CONSTRAINT 1/1 true'],
    );
  });

  it('names what is missing and what is more', () => {
    const after: CatalogObjects = new Map([
      ['SCHEMA', [key('', 'public'), key('', 'sales')]],
      ['TABLE', [key('sales', 'order'), key('sales', 'stray')]],
    ]);
    const counts = compareObjectCounts(entries, new Map([['SCHEMA', [key('', 'public')]]]), after);
    const table = counts.find((k) => k.kind === 'TABLE');
    assert.deepEqual(table?.missing, ['sales.customer']);
    assert.deepEqual(table?.extra, ['sales.stray']);
    assert.deepEqual(counts.find((k) => k.kind === 'CONSTRAINT')?.missing, ['sales.order order_pkey']);
  });
});

describe('the Markdown report', () => {
  const report: VerifyReport = {
    file: '/b/x.dump',
    format: 'custom',
    verdict: 'does not restore cleanly: 1 problem',
    ok: false,
    cancelled: false,
    startedAt: '2026-12-07T10:00:00.000Z',
    durationMs: 2500,
    dump: { serverVersion: '15.18', pgDumpVersion: '15.18', entries: 70 },
    server: { kind: 'throwaway', where: '127.0.0.1:5999', version: '15.18' },
    tools: ['pg_restore 15.18 at /usr/bin/pg_restore'],
    roles: { handling: 'created', created: ['app_owner'], note: 'roles created as NOLOGIN' },
    databases: [],
    phases: [{ phase: 'restore', ms: 1200 }],
    failures: [{ check: 'restore', dumpId: 42, entry: 'TABLE DATA public.t|x', message: 'invalid input syntax for type integer: "X"' }],
    notes: [],
    kept: [],
  };

  it('verdict first, then each failed entry, the versions and the time by phase', () => {
    const md = reportMarkdown(report);
    assert.match(md, /^# Restore drill: x\.dump\n\n\*\*Verdict: ✗ does not restore cleanly: 1 problem\*\*\n/);
    assert.match(md, /## What failed \(1\)\n\n- entry 42 \(TABLE DATA public\.t\\\|x\): invalid input syntax/);
    assert.match(md, /- Server: PostgreSQL 15\.18 — throwaway local server/);
    assert.match(md, /- Tools: pg_restore 15\.18 at \/usr\/bin\/pg_restore/);
    assert.match(md, /\| restore \| 1\.2 s \|/);
  });

  it('one line per failure', () => {
    assert.equal(formatFailure({ check: 'rows', dumpId: 7, entry: 'TABLE DATA a.b', message: '1 rows in the database, 2 in the dump', database: 'app' }), '[app] entry 7 (TABLE DATA a.b): 1 rows in the database, 2 in the dump');
    assert.equal(formatFailure({ check: 'server', message: 'no pg_restore' }), 'cannot verify: no pg_restore');
  });
});
