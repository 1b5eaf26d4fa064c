import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURE_NAMES } from '../support/fixtures';
import { fixturePath, pgTool, sharedFixture, testEnv } from '../support/env';
import { query } from '../support/pgServer';

describe('test harness', () => {
  it('the throwaway server answers', async () => {
    const { server } = testEnv();
    const [row] = await query<{ version: string }>(server, 'postgres', 'select version()');
    assert.match(row?.version ?? '', /^PostgreSQL \d+/);
    assert.ok(row?.version.startsWith(`PostgreSQL ${server.version}`), `${row?.version} vs ${server.version}`);
  });

  it('every fixture exists and is not empty', () => {
    for (const name of FIXTURE_NAMES) {
      const p = fixturePath(name);
      const stat = fs.statSync(p);
      if (name.startsWith('dir-')) {
        assert.ok(stat.isDirectory(), `${name} is not a directory`);
        assert.ok(fs.existsSync(path.join(p, 'toc.dat')), `${name} has no toc.dat`);
      } else {
        assert.ok(stat.isFile() && stat.size > 0, `${name} is missing or empty`);
      }
    }
  });

  it('the shared fixtures are where sharedFixture() says', () => {
    assert.ok(fs.statSync(sharedFixture('pg18-rich.source.sql')).isFile());
  });

  it('the real pg_restore -l lists custom.dump', async () => {
    const r = await pgTool('pg_restore', ['-l', fixturePath('custom.dump')], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    const entries = r.stdout.split('\n').filter((l) => /^\d+; /.test(l));
    assert.ok(entries.length > 0, 'no entries');
    const declared = /^;\s+TOC Entries: (\d+)$/m.exec(r.stdout);
    assert.ok(declared && Number(declared[1]) > 0, 'no TOC entry count');
    assert.ok(entries.some((l) => / TABLE DATA public bulk_rows /.test(l)), 'bulk_rows data not listed');
  });

  it('the piped and the seekable custom archives list the same entries', async () => {
    const entries = async (name: string) => {
      const r = await pgTool('pg_restore', ['-l', fixturePath(name)], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, r.stderr);
      return r.stdout.split('\n').filter((l) => /^\d+; /.test(l));
    };
    assert.deepEqual(await entries('custom-piped.dump'), await entries('custom.dump'));
  });

  it('database rich holds the 5000-row table and the extras', async () => {
    const { server, database } = testEnv();
    const [row] = await query<{ n: string; lo: string; comment: string }>(
      server,
      database,
      `select count(*) as n,
              (select count(*) from pg_largeobject_metadata where oid = 424242) as lo,
              obj_description('public.bulk_rows'::regclass, 'pg_class') as comment
         from public.bulk_rows`,
    );
    assert.equal(row?.n, '5000');
    assert.equal(row?.lo, '1');
    assert.match(row?.comment ?? '', /\n/);
  });

  it('psql through pgTool reaches the test server', async () => {
    const r = await pgTool('psql', ['-X', '-At', '-d', testEnv().database, '-c', 'select count(*) from "Audit Log"."Event ""Quoted"" Name"'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), '50');
  });
});
