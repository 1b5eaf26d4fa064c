/**
 * Copy Database To… in the extension host: a database node of the Connections view, the target
 * chosen in the real target picker, pg_dump piped into pg_restore against the test server, the
 * result checked in the target and in the job history.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { ConnectionProfile } from '../../../src/connections/connectionStore';
import type { CopyResult } from '../../../src/core/copy/types';
import type { Services } from '../../../src/services';
import { testEnv } from '../../support/env';
import { createDatabase, query } from '../../support/pgServer';
import type { DumpSession } from '../../../src/dump/dumpSession';
import { acceptQuickPick, extensionServices, testServerUri } from '../extension';

describe('copy a database to another', function () {
  this.timeout(180_000);
  let s: Services;
  let profile: ConnectionProfile | undefined;
  const target = `pgdx_vscode_copy_${process.pid}`;
  const selectedTarget = `pgdx_vscode_copysel_${process.pid}`;

  before(async () => {
    s = await extensionServices();
    await createDatabase(testEnv().server, target);
  });
  after(async () => {
    if (profile) await vscode.commands.executeCommand('pgDumpExplorer.connections.remove', profile.id, { confirmed: true });
    await query(testEnv().server, 'postgres', `drop database if exists "${target}" with (force)`);
    await query(testEnv().server, 'postgres', `drop database if exists "${selectedTarget}" with (force)`);
  });

  it('Copy Database To… on a database node: the target from the picker, the copy checked, a copy job in the history', async () => {
    const { server, database } = testEnv();
    profile = await vscode.commands.executeCommand<ConnectionProfile>('pgDumpExplorer.connections.add', {
      name: `copy test server ${process.pid}`,
      connectionString: `postgresql://${server.user}@${server.host}:${server.port}/postgres?sslmode=disable`,
    });
    assert.ok(profile, 'the connection was not saved');
    const source = await s.connections.resolve(profile, database);
    // The picker offers the last target of this source first: the database made for the test.
    await s.connections.rememberTarget(`copy:${source.where()}`, profile, target);
    const historyBefore = (await s.history.list()).length;
    const pending = Promise.resolve(vscode.commands.executeCommand<CopyResult | undefined>('pgDumpExplorer.connections.copyDatabase', { type: 'database', profile, database }, { confirmed: true }));
    const label = await acceptQuickPick(s, new RegExp(`^Copy ${database} \\(`), pending);
    assert.match(label ?? '', new RegExp(`/ ${target}$`));
    const result = await pending;
    assert.ok(result, 'the copy did not run');
    assert.equal(result.ok, true, [...result.problems, ...result.errors.map((e) => e.message)].join('\n'));
    assert.deepEqual(result.postRestore?.problems, []);
    const [a] = await query<{ n: string }>(server, database, 'select count(*)::text as n from sales.order_line');
    const [b] = await query<{ n: string }>(server, target, 'select count(*)::text as n from sales.order_line');
    assert.equal(b?.n, a?.n);
    const jobs = await s.history.list();
    assert.equal(jobs.length, historyBefore + 1);
    const job = jobs[0]!;
    assert.equal(job.kind, 'copy');
    assert.equal(job.outcome, 'succeeded');
    assert.equal(job.source, source.where());
    assert.match(job.target ?? '', new RegExp(`/${target}$`));
    assert.match(job.summary, /^Copied \d+ entries into .* rows: (\d+) of \1 tables hold what the source has/);
    // Its own log: what pg_dump and pg_restore printed.
    assert.match(fs.readFileSync(job.logPath!, 'utf8'), /pg_restore: /);
  });

  it('Copy Selected To… from the dump panel: the ticked table with what it needs, into a database created for it', async () => {
    const { server, database } = testEnv();
    const session = await vscode.commands.executeCommand<DumpSession | undefined>('pgDumpExplorer.connections.dumpDatabase', undefined, { connection: testServerUri(database), name: 'test server' });
    assert.ok(session, 'no dump session');
    try {
      session.pick(null, false);
      session.pick('sales.order_line', true);
      const selection = session.copySelection();
      assert.deepEqual(selection, { schemas: [], tables: ['sales.order_line'], mode: 'definition-and-data', withDeps: true });
      // The target does not exist yet: the copy creates it (confirmed), then copies into it.
      const result = await s.copy.copy({ name: 'test server', connection: session.source.connection }, selection, { target: testServerUri(selectedTarget), confirmed: true });
      assert.ok(result);
      assert.equal(result.ok, true, [...result.problems, ...result.errors.map((e) => e.message)].join('\n'));
      const tables = await query<{ t: string }>(server, selectedTarget, "select string_agg(format('%s.%s', schemaname, tablename), ' ' order by 1) as t from pg_tables where schemaname not in ('pg_catalog', 'information_schema')");
      // order_line needs its order (foreign key), which needs its customer.
      assert.equal(tables[0]?.t, 'sales.customer sales.order sales.order_line');
    } finally {
      session.dispose();
    }
  });
});
