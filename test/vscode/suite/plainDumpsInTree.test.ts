/**
 * Plain SQL dumps and pg_dumpall scripts in the Dumps tree and the restore flow, inside a real
 * VS Code, restoring into the real test server: the same outline as the archive of the same
 * database, a ticked table restored from a plain dump through psql with what it brings, a
 * cluster dump's databases and roles, and "Restore Roles Only…" from real pg_dumpall output.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { OpenCluster, OpenDump } from '../../../src/dumps/openDumps';
import type { RestoreSession } from '../../../src/restore/restoreSession';
import type { Services } from '../../../src/services';
import type { DumpElement } from '../../../src/views/dumpTree';
import { fixturePath, pgTool, testEnv } from '../../support/env';
import { query } from '../../support/pgServer';
import { dropCreatedDatabases, footprint, freshDatabase } from '../../support/targetDb';
import { extensionServices, outlineObjects, testServerUri, tick, workspaceFile } from '../extension';

describe('plain and cluster dumps in the tree', function () {
  this.timeout(120_000);
  let s: Services;

  before(async () => {
    s = await extensionServices();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const root of s.dumps.roots()) await s.dumps.close(root.key);
  });

  after(() => dropCreatedDatabases());

  it('a plain dump opens in the tree with the same objects as the archive of the same database', async () => {
    const [plain] = (await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.sql'))) as OpenDump[];
    const [archive] = (await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'))) as OpenDump[];
    assert.ok(plain && archive);
    assert.equal(plain.opened.archive.format, 'plain');
    assert.deepEqual(outlineObjects(plain), outlineObjects(archive));
    // The tree shows it as a root of its own, with its schemas under it.
    const roots = s.tree.getChildren();
    const root = roots.find((r) => r.dumpKey === plain.key);
    assert.ok(root, 'no root for rich.sql');
    assert.match(String(s.tree.getTreeItem(root).contextValue), /\bdump\b.*\bplain\b/);
    assert.ok(s.tree.getChildren(root).some((c) => c.node?.label === 'sales'));
  });

  it('a table ticked in a plain dump is restored through psql with its indexes, constraints, trigger and rows', async () => {
    const [plain] = (await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.sql'))) as OpenDump[];
    assert.ok(plain);
    tick(s, plain, 'TABLE', 'sales', 'order');
    const db = await freshDatabase('vscode_plain');
    const session = (await vscode.commands.executeCommand('pgDumpExplorer.restore.selected', { dumpKey: plain.key, target: { connection: testServerUri(db) } })) as RestoreSession;
    assert.ok(session);
    session.setForm({ ...session.state().form, withDeps: true });
    await session.check();
    const state = session.state();
    assert.equal(state.parallelPossible, false, 'psql restores a plain dump in one session');
    assert.equal(state.cleanPossible, false, 'a plain dump holds no DROP statements');
    assert.equal(state.preflight.blocking, false, state.preflight.findings.map((f) => f.message).join('\n'));
    const result = await session.restore({ confirmed: true });
    assert.ok(result?.ok, result?.errors.map((e) => e.message).join('\n'));
    assert.equal(result.tool.tool, 'psql');

    const reference = await freshDatabase('vscode_plain_ref');
    const r = await pgTool('pg_restore', ['-d', reference, fixturePath('custom.dump')], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await footprint(db, 'sales."order"'), await footprint(reference, 'sales."order"'));
    const counts = session.state().result?.post?.rowCounts ?? [];
    assert.ok(counts.length >= 2 && counts.every((c) => c.matches), JSON.stringify(counts));
  });

  it('a cluster dump shows its roles and tablespaces and its databases, each a dump of its own', async () => {
    const [cluster] = (await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('cluster.sql'))) as OpenCluster[];
    assert.ok(cluster && 'databases' in cluster, 'cluster.sql opens as a cluster dump');
    const names = cluster.databases.map((d) => d.part?.database);
    assert.ok(names.includes('rich'), `databases: ${names.join(', ')}`);
    const rootElement = s.tree.getChildren().find((r) => r.clusterKey === cluster.key);
    assert.ok(rootElement, 'no root for cluster.sql');
    const children = s.tree.getChildren(rootElement);
    assert.equal(s.tree.getTreeItem(children[0]!).label, 'Roles and tablespaces');
    const roles = s.tree.getChildren(children[0]!).map((e: DumpElement) => e.global?.name);
    for (const role of cluster.index.roles) assert.ok(roles.includes(role), `role ${role} is not shown`);
    const rich = cluster.databases.find((d) => d.part?.database === 'rich')!;
    const richRoot = children.find((c) => c.dumpKey === rich.key);
    assert.ok(richRoot, 'the database rich is not under the cluster dump');
    assert.equal(s.tree.getTreeItem(richRoot).label, 'rich');
    assert.equal(s.tree.getParent(richRoot)?.clusterKey, cluster.key);
    // The database's objects are those of the plain dump of the same database.
    const [plain] = (await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.sql'))) as OpenDump[];
    assert.deepEqual(outlineObjects(rich), outlineObjects(plain!));
  });

  it('Restore Roles Only creates the roles a target lacks from real pg_dumpall output, in one transaction', async () => {
    const { server } = testEnv();
    const role = `pgdx_vscode_role_${process.pid}`;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-roles-')), 'roles.sql');
    await query(server, 'postgres', `create role ${role} nologin connection limit 3`);
    try {
      const dumped = await pgTool('pg_dumpall', ['--roles-only', '-f', file], { encoding: 'utf8' });
      assert.equal(dumped.exitCode, 0, dumped.stderr);
      await query(server, 'postgres', `drop role ${role}`);
      const [cluster] = (await vscode.commands.executeCommand('pgDumpExplorer.open', vscode.Uri.file(file))) as OpenCluster[];
      assert.ok(cluster && cluster.index.roles.includes(role), 'the role is in the dump');
      const result = await vscode.commands.executeCommand<{ ok: boolean; plan: { create: string[]; existing: string[] } } | undefined>('pgDumpExplorer.restore.rolesOnly', {
        clusterKey: cluster.key,
        target: { connection: testServerUri('postgres') },
        confirmed: true,
      });
      assert.ok(result?.ok, 'the roles were restored');
      assert.deepEqual(result.plan.create, [role], 'only the missing role is created');
      assert.ok(result.plan.existing.includes(server.user), 'the roles the server has are left alone');
      const [row] = await query<{ rolconnlimit: number }>(server, 'postgres', 'select rolconnlimit from pg_roles where rolname = $1', [role]);
      assert.equal(row?.rolconnlimit, 3, 'the role came back with its attributes');
      // Again: every role exists now, so there is nothing to do.
      const again = await vscode.commands.executeCommand('pgDumpExplorer.restore.rolesOnly', { clusterKey: cluster.key, target: { connection: testServerUri('postgres') }, confirmed: true });
      assert.equal(again, undefined);
    } finally {
      await query(server, 'postgres', `drop role if exists ${role}`);
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
