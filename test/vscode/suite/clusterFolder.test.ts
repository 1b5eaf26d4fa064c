/**
 * A cluster folder (dump-cluster: globals.sql, one archive per database, manifest.json) made from
 * the real test server inside the workspace, in a real VS Code: the Explorer menu is offered on
 * it, it opens in the Dumps view as one cluster — its roles and tablespaces, then each database as
 * the archive it is — and Restore Roles Only… works from it as from a pg_dumpall script.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { dumpCluster } from '../../../src/core/dump/cluster';
import type { OpenCluster, OpenDump } from '../../../src/dumps/openDumps';
import type { Services } from '../../../src/services';
import { testEnv } from '../../support/env';
import { query } from '../../support/pgServer';
import { until } from '../../support/poll';
import { connectionTo } from '../../support/targetDb';
import { extensionServices, outlineObjects, testServerUri, workspaceFile } from '../extension';

interface Manifest {
  contributes: { menus: Record<string, { command: string; when: string }[]> };
}

describe('a cluster folder in the Dumps view', function () {
  this.timeout(120_000);
  let s: Services;
  let dir: string;
  const role = `pgdx_vscode_cluster_${process.pid}`;

  before(async () => {
    s = await extensionServices();
    dir = workspaceFile('cluster-nightly').fsPath;
    // A role the folder's globals hold and the server will lack again: what Restore Roles Only brings back.
    await query(testEnv().server, 'postgres', `create role ${role} nologin connection limit 2`);
    try {
      const result = await dumpCluster(connectionTo('postgres'), dir);
      assert.ok(result.ok, result.errors.join('\n'));
    } finally {
      await query(testEnv().server, 'postgres', `drop role ${role}`);
    }
  });

  after(async () => {
    for (const root of s.dumps.roots()) await s.dumps.close(root.key);
    await query(testEnv().server, 'postgres', `drop role if exists ${role}`);
    fs.rmSync(dir, { recursive: true, force: true });
    await until('the removed cluster folder to leave the Explorer menu', () => !s.archiveFolders.list().includes(dir), { timeoutMs: 60_000 });
  });

  it('is offered "Open in PG Dump Explorer", and opens as one cluster: its globals, then each database as its archive', async () => {
    await until('the cluster folder to be offered in the Explorer menu', () => s.archiveFolders.list().includes(dir), { timeoutMs: 60_000, onTimeout: () => s.archiveFolders.list().join(', ') });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { databases: { name: string; file: string }[] };
    const [cluster] = (await vscode.commands.executeCommand('pgDumpExplorer.open', vscode.Uri.file(dir))) as OpenCluster[];
    assert.ok(cluster && 'databases' in cluster && cluster.folder, 'the folder opens as a cluster');
    assert.deepEqual(
      cluster.databases.map((d) => d.part?.database),
      manifest.databases.map((d) => d.name),
    );

    const rootElement = s.tree.getChildren().find((r) => r.clusterKey === cluster.key);
    assert.ok(rootElement, 'no root for the folder');
    const root = s.tree.getTreeItem(rootElement);
    assert.equal(root.label, 'cluster-nightly');
    assert.equal(root.description, `cluster folder · ${manifest.databases.length} databases · ${cluster.index.roles.length} roles`);
    // Verify Dump… is offered on a pg_dumpall script's row, not on a folder's (its archives are verified one by one).
    const verifyMenu = (JSON.parse(fs.readFileSync(path.join(testEnv().projectRoot, 'package.json'), 'utf8')) as Manifest).contributes.menus['view/item/context']!.find((m) => m.command === 'pgDumpExplorer.dumps.verify')!;
    const offered = (contextValue: string) => new RegExp(/viewItem =~ \/(.*)\/$/.exec(verifyMenu.when)![1]!).test(contextValue);
    assert.equal(offered(String(root.contextValue)), false, `offered on ${String(root.contextValue)}`);
    assert.equal(offered('cluster;script'), true);
    const children = s.tree.getChildren(rootElement);
    assert.equal(s.tree.getTreeItem(children[0]!).label, 'Roles and tablespaces');
    const globals = s.tree.getChildren(children[0]!).map((e) => e.global?.name);
    for (const name of ['app_owner', 'app_reader', role]) assert.ok(globals.includes(name), `role ${name} is not shown`);
    assert.deepEqual(
      children.slice(1).map((c) => s.tree.getTreeItem(c).label),
      manifest.databases.map((d) => d.name),
    );

    // rich is its archive, with the objects of the fixture's dump of the same database.
    const rich = cluster.databases.find((d) => d.part?.database === 'rich')!;
    assert.equal(rich.uri.fsPath, path.join(dir, 'rich.dump'));
    assert.equal(rich.opened.archive.format, 'custom');
    assert.equal(rich.label, 'cluster-nightly · rich');
    const richElement = children.find((c) => c.dumpKey === rich.key)!;
    assert.match(String(s.tree.getTreeItem(richElement).contextValue), /\bdump\b.*\barchive\b.*\bclusterDatabase\b/);
    assert.equal(s.tree.getParent(richElement)?.clusterKey, cluster.key);
    const [fixture] = (await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'))) as OpenDump[];
    assert.deepEqual(outlineObjects(rich), outlineObjects(fixture!));
    // The archive opened on its own (as its summary does) is the folder's, not a second dump.
    assert.equal(await s.dumps.open(vscode.Uri.file(rich.uri.fsPath)), rich);

    // Restore Roles Only… from the folder: its globals.sql is a pg_dumpall script.
    const result = await vscode.commands.executeCommand<{ ok: boolean; plan: { create: string[] } } | undefined>('pgDumpExplorer.restore.rolesOnly', {
      clusterKey: cluster.key,
      target: { connection: testServerUri('postgres') },
      confirmed: true,
    });
    assert.ok(result?.ok, 'the roles were restored');
    assert.deepEqual(result.plan.create, [role], 'only the missing role is created');
    const [row] = await query<{ rolconnlimit: number }>(testEnv().server, 'postgres', 'select rolconnlimit from pg_roles where rolname = $1', [role]);
    assert.equal(row?.rolconnlimit, 2, 'the role came back with its attributes');
    // The History view lists it as a restore of the folder's roles, with psql's log.
    const job = (await s.history.list()).find((j) => j.kind === 'restore' && j.file === cluster.uri.fsPath);
    assert.equal(job?.outcome, 'succeeded', JSON.stringify(job));
    assert.match(job.summary, new RegExp(`^Created 1 role on .*: ${role}\\.$`));
    assert.match(fs.readFileSync(job.logPath!, 'utf8'), /\[info\] ran: \S*psql /);
  });
});
