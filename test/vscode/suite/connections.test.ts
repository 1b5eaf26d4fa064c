import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { secretKeyOf, type ConnectionProfile } from '../../../src/connections/connectionStore';
import type { ServerInfo } from '../../../src/core/server/server';
import type { Services } from '../../../src/services';
import type { ConnectionsNode } from '../../../src/views/connectionsTree';
import { testEnv } from '../../support/env';
import { query } from '../../support/pgServer';
import { acceptQuickPick, extensionServices } from '../extension';

const tag = `${process.pid}_${Date.now().toString(36)}`;

const run = <T>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(`pgDumpExplorer.connections.${command}`, ...args);

/** The server's own answer to `show server_version`. */
async function serverVersion(): Promise<string> {
  const [row] = await query<{ server_version: string }>(testEnv().server, 'postgres', 'show server_version');
  return String(row?.server_version);
}

/** The nodes of the Connections view as VS Code asks for them, with their tree items. */
async function children(s: Services, node?: ConnectionsNode): Promise<{ node: ConnectionsNode; item: vscode.TreeItem }[]> {
  const nodes = await s.connectionsTree.getChildren(node);
  return nodes.map((n) => ({ node: n, item: s.connectionsTree.getTreeItem(n) }));
}

/**
 * Accepts the focused (first) item of every quick pick that shows until `pending` settles, with
 * the workbench's own command, as Enter would, each once its list is on screen: the dialogs
 * themselves run, nothing stands in.
 */
async function acceptFirstItems<T>(s: Services, pending: Promise<T>): Promise<T> {
  while ((await acceptQuickPick(s, /./, pending)) !== undefined);
  return pending;
}

const labelOf = (item: vscode.TreeItem) => (typeof item.label === 'string' ? item.label : (item.label?.label ?? ''));

describe('connections', () => {
  let s: Services;
  const made: string[] = [];
  const createdDatabases: string[] = [];

  before(async () => {
    s = await extensionServices();
  });
  // Each test starts with no saved connection but those it makes.
  afterEach(async () => {
    for (const id of made.splice(0)) await run('remove', id, { confirmed: true });
  });
  after(async () => {
    for (const db of createdDatabases) await query(testEnv().server, 'postgres', `drop database if exists "${db}" with (force)`);
  });

  const uriOf = (db: string, password?: string) => {
    const { server } = testEnv();
    return `postgresql://${server.user}${password ? `:${encodeURIComponent(password)}` : ''}@${server.host}:${server.port}/${db}?sslmode=disable`;
  };

  it('adds a connection from a URI, tests it, lists its databases, creates one, removes it', async () => {
    const { server, database } = testEnv();
    const profile = await run<ConnectionProfile>('add', { name: `test server ${tag}`, connectionString: uriOf('postgres') });
    assert.ok(profile, 'add returned nothing');
    made.push(profile.id);
    assert.deepEqual(profile.params, { host: server.host, port: String(server.port), user: server.user, dbname: 'postgres', sslmode: 'disable' });
    assert.ok(s.connections.saved().some((p) => p.id === profile.id));

    // In the view: a saved connection, host:port, user.
    const roots = await children(s);
    const row = roots.find((r) => r.node.type === 'connection' && r.node.profile.id === profile.id);
    assert.ok(row, `not in the view: ${roots.map((r) => labelOf(r.item)).join(', ')}`);
    assert.equal(labelOf(row.item), `test server ${tag}`);
    assert.equal(row.item.description, `${server.host}:${server.port}, ${server.user}`);
    assert.equal(row.item.contextValue, 'connection;saved');

    const info = await run<ServerInfo>('test', profile.id);
    assert.ok(info);
    assert.equal(info.serverVersion, await serverVersion());
    assert.equal(info.where, `${server.host}:${server.port}/postgres`);
    assert.deepEqual([info.user, info.isSuperuser], [server.user, true]);

    // Expanding it lists the server's databases, as the server has them.
    const dbs = await children(s, row.node);
    const expected = (await query<{ datname: string }>(server, 'postgres', "select datname from pg_database where not datistemplate and datallowconn order by datname collate \"C\"")).map((r) => r.datname);
    assert.deepEqual(dbs.map((d) => labelOf(d.item)), expected);
    assert.ok(expected.includes(database));
    assert.ok(dbs.every((d) => d.item.contextValue === 'database'));

    const name = `pgdx created ${tag}`;
    createdDatabases.push(name);
    assert.equal(await run<string>('createDatabase', profile.id, name), name);
    const found = await query<{ n: string }>(server, 'postgres', 'select count(*) as n from pg_database where datname = $1', [name]);
    assert.equal(found[0]?.n, '1');
    assert.ok((await children(s, row.node)).some((d) => labelOf(d.item) === name), 'the new database is not listed');

    assert.equal(await run<boolean>('remove', profile.id, { confirmed: true }), true);
    assert.ok(!s.connections.saved().some((p) => p.id === profile.id));
    assert.ok(!(await children(s)).some((r) => r.node.type === 'connection' && r.node.profile.id === profile.id));
  });

  it('a server that does not answer: the view says what went wrong, in one line', async () => {
    const profile = await run<ConnectionProfile>('add', { name: `nowhere ${tag}`, connectionString: `postgresql://nobody@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5` });
    assert.ok(profile);
    made.push(profile.id);
    const node = (await children(s)).find((r) => r.node.type === 'connection' && r.node.profile.id === profile.id)?.node;
    assert.ok(node);
    const items = await children(s, node);
    assert.equal(items.length, 1);
    const text = labelOf(items[0]!.item);
    assert.match(text, /^Could not list databases: could not connect to 127\.0\.0\.1:1\/postgres as nobody: .*ECONNREFUSED/);
    assert.ok(!text.includes('\n') && !/\bat .*\.js:\d+/.test(text), `not one line: ${text}`);
  });

  it('keeps a password out of globalState and settings, in SecretStorage', async () => {
    const password = `Pa55:word ${tag}`;
    const profile = await run<ConnectionProfile>('add', { name: `with password ${tag}`, connectionString: uriOf('postgres', password) });
    assert.ok(profile);
    made.push(profile.id);
    assert.ok(!JSON.stringify(profile).includes(password));

    // Everything the extension keeps in globalState, read back.
    const state = s.context.globalState;
    const stored = state.keys().map((k) => JSON.stringify(state.get(k)));
    assert.ok(stored.length > 0, 'nothing in globalState');
    assert.ok(stored.some((v) => v.includes(profile.id)), 'the profile is not in globalState');
    assert.ok(!stored.some((v) => v.includes(password) || v.includes(encodeURIComponent(password))), 'a password in globalState');
    // Settings, every scope.
    const settings = vscode.workspace.getConfiguration('pgDumpExplorer');
    assert.ok(!JSON.stringify(settings).includes(password), 'a password in settings');
    for (const key of ['pgRestorePath', 'psqlPath']) assert.ok(!JSON.stringify(settings.inspect(key)).includes(password));

    // SecretStorage has it, and a resolution uses it as an explicit parameter.
    const secret = await s.context.secrets.get(secretKeyOf(profile.id));
    assert.ok(secret?.includes(JSON.stringify(password).slice(1, -1)), 'the password is not in SecretStorage');
    assert.equal(await s.connections.hasStoredPassword(profile.id), true);
    const connection = await s.connections.resolve(profile);
    assert.equal(connection.password, password);
    assert.equal(connection.passwordSource, 'explicit');
    assert.ok(!JSON.stringify(connection).includes(password));

    // The test still connects (the server trusts everyone, so the password is simply not asked for).
    assert.equal((await run<ServerInfo>('test', profile.id))?.serverVersion, await serverVersion());

    // Edit: a new connection string without a password keeps the stored one; null forgets it.
    await run('edit', profile.id, { connectionString: uriOf(testEnv().database) });
    assert.equal((await s.connections.resolve(s.connections.get(profile.id)!)).password, password);
    await run('edit', profile.id, { password: null });
    assert.equal(await s.connections.hasStoredPassword(profile.id), false);
    assert.equal(await s.context.secrets.get(secretKeyOf(profile.id)), undefined);

    await run('edit', profile.id, { password });
    assert.equal(await s.connections.hasStoredPassword(profile.id), true);
    await run('remove', profile.id, { confirmed: true });
    assert.equal(await s.context.secrets.get(secretKeyOf(profile.id)), undefined, 'the secret outlived its connection');
  });

  it('offers the PG* environment the extension host runs with', async () => {
    const { server } = testEnv();
    assert.equal(process.env.PGHOST, server.host, 'the harness runs VS Code with PGHOST');
    await run('refresh');
    const env = s.connections.discovered().candidates.find((c) => c.source === 'environment');
    assert.ok(env, 'no environment candidate');
    assert.deepEqual({ host: env.params.host, port: env.params.port, user: env.params.user }, { host: server.host, port: String(server.port), user: server.user });
    assert.equal(env.kind, 'discovered');

    const group = (await children(s)).find((r) => r.node.type === 'group' && r.node.source === 'environment');
    assert.ok(group, 'no "From the environment" group');
    assert.equal(labelOf(group.item), 'From the environment');
    const [row] = await children(s, group.node);
    assert.ok(row);
    assert.equal(row.item.contextValue, 'connection;discovered');
    assert.equal(row.item.description, `${server.host}:${server.port}, ${server.user}`);
    const info = await run<ServerInfo>('test', row.node);
    assert.equal(info?.serverVersion, await serverVersion());
  });

  it('offers the services of a service file (PGSERVICEFILE), and saves one on request', async () => {
    const { server, database } = testEnv();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-vscode-svc-'));
    const file = path.join(dir, 'pg_service.conf');
    const service = `pgdx_vscode_${tag}`;
    fs.writeFileSync(file, `[${service}]\nhost=${server.host}\nport=${server.port}\nuser=${server.user}\ndbname=${database}\nsslmode=disable\n`);
    const before = process.env.PGSERVICEFILE;
    process.env.PGSERVICEFILE = file;
    try {
      await run('refresh');
      const candidate = s.connections.discovered().candidates.find((c) => c.id === `service:${service}`);
      assert.ok(candidate, `not discovered: ${s.connections.discovered().candidates.map((c) => c.id).join(', ')}`);
      assert.equal(candidate.origin, `service file "${file}"`);

      const group = (await children(s)).find((r) => r.node.type === 'group' && r.node.source === 'service');
      assert.ok(group);
      assert.equal(labelOf(group.item), 'From pg_service.conf');
      const row = (await children(s, group.node)).find((r) => labelOf(r.item) === service);
      assert.ok(row);
      assert.equal(row.item.description, `${server.host}:${server.port}, ${server.user}`);
      const info = await run<ServerInfo>('test', row.node);
      assert.equal(info?.database, database);

      // Saved from the view's node: it stays a reference to the service, in that file.
      const saved = await run<ConnectionProfile>('add', row.node);
      assert.ok(saved);
      made.push(saved.id);
      assert.deepEqual(saved.params, { service, servicefile: file });
      assert.equal(saved.kind, 'saved');
      assert.equal((await run<ServerInfo>('test', saved.id))?.database, database);
    } finally {
      if (before === undefined) delete process.env.PGSERVICEFILE;
      else process.env.PGSERVICEFILE = before;
      fs.rmSync(dir, { recursive: true, force: true });
      await run('refresh');
    }
    assert.ok(!s.connections.discovered().candidates.some((c) => c.id === `service:${service}`));
  });

  it('rejects a malformed connection string in one line, saving nothing', async () => {
    const count = s.connections.saved().length;
    // The command table shows the error and returns undefined.
    const result = await run('add', 'postgresql://u:topsecret@h/db?sslmode=sometimes');
    assert.equal(result, undefined);
    assert.equal(s.connections.saved().length, count);
  });

  it('pickTarget: a connection, then a database, through the real quick picks; remembered per dump and offered first', async () => {
    const { server } = testEnv();
    assert.deepEqual(s.connections.saved(), [], 'saved connections left over');
    const profile = await run<ConnectionProfile>('add', { name: `pick target ${tag}`, connectionString: uriOf('postgres') });
    assert.ok(profile);
    made.push(profile.id);
    const dumpKey = vscode.Uri.file(path.join(os.tmpdir(), `some-${tag}.dump`)).toString();
    assert.equal(s.connections.lastTarget(dumpKey), undefined);

    // The first item of each pick: the saved connection (saved ones come first), then its own database (listed first).
    const picked = await acceptFirstItems(s, s.connections.pickTarget({ dumpKey, title: `Restore into (${tag})` }));
    assert.ok(picked, 'nothing picked');
    assert.equal(picked.profileName, profile.name);
    assert.equal(picked.database, 'postgres');
    assert.equal(picked.connection.describe(), `${server.host}:${server.port}/postgres as ${server.user}`);
    const last = s.connections.lastTarget(dumpKey);
    assert.deepEqual([last?.profile.id, last?.database], [profile.id, 'postgres']);

    // Another target remembered for this dump is offered first, and picking it needs no second step.
    await s.connections.rememberTarget(dumpKey, profile, 'scratch');
    const again = await acceptFirstItems(s, s.connections.pickTarget({ dumpKey, title: `Restore into (${tag})` }));
    assert.deepEqual([again?.profileName, again?.database, again?.connection.dbname], [profile.name, 'scratch', 'scratch']);
    // Another dump has no last target.
    assert.equal(s.connections.lastTarget(`${dumpKey}.other`), undefined);
  });
});
