import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, fixturePath, pgTool, sharedFixture } from '../support/env';
import { projectRoot } from '../support/fixtures';

/** Archives the local pg_restore (PostgreSQL 15) can read: 1.14 in every format. */
const READABLE = ['custom.dump', 'custom-z0.dump', 'custom-piped.dump', 'dir-gzip', 'dir-z0', 'dir-j2', 'archive.tar'];

function assertOneLineError(r: { stderr: Buffer | string; exitCode: number | undefined }, pattern: RegExp): void {
  const stderr = r.stderr.toString().trimEnd();
  assert.notEqual(r.exitCode, 0, 'exit code');
  assert.ok(stderr.split('\n').length <= 2, `more than two lines on stderr:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m, 'a stack trace');
  assert.match(stderr, pattern);
}

describe('cli list: byte-for-byte what pg_restore -l prints', () => {
  for (const name of READABLE) {
    it(`${name}`, async () => {
      const file = fixturePath(name);
      const ours = await cli(['list', file]);
      const theirs = await pgTool('pg_restore', ['-l', file]);
      assert.equal(theirs.exitCode, 0, theirs.stderr.toString());
      assert.equal(ours.stderr.toString(), '');
      assert.equal(ours.exitCode, 0);
      assert.ok(ours.stdout.equals(theirs.stdout), `listing differs:\n${ours.stdout.toString().slice(0, 2000)}`);
    });
  }

  it('northwind-pg13.dump, made by somebody else with pg_dump 13', async () => {
    const file = sharedFixture('northwind-pg13.dump');
    const ours = await cli(['list', file]);
    const theirs = await pgTool('pg_restore', ['-l', file]);
    assert.ok(ours.stdout.equals(theirs.stdout));
  });

  it('a directory dump inside a zip or tar file lists as the directory does', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-wrap-'));
    try {
      const source = fixturePath('dir-gzip');
      fs.cpSync(source, path.join(dir, 'nightly'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'nightly', '._toc.dat'), 'AppleDouble junk');
      execFileSync('zip', ['-qr', 'nightly.zip', 'nightly'], { cwd: dir });
      execFileSync('tar', ['cf', 'nightly.tar', 'nightly'], { cwd: dir });
      const theirs = await pgTool('pg_restore', ['-l', source]);
      for (const wrapped of ['nightly.zip', 'nightly.tar']) {
        const ours = await cli(['list', path.join(dir, wrapped)]);
        assert.equal(ours.exitCode, 0, ours.stderr.toString());
        assert.ok(ours.stdout.equals(theirs.stdout), `${wrapped} lists differently`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cli on archives the local pg_restore cannot read (1.16)', () => {
  for (const name of ['pg18-rich.custom.dump', 'pg18-rich.custom-stats.dump', 'pg18-rich.tar']) {
    it(`${name}: lists where pg_restore 15 refuses`, async () => {
      const file = sharedFixture(name);
      const theirs = await pgTool('pg_restore', ['-l', file]);
      assert.notEqual(theirs.exitCode, 0);
      assert.match(theirs.stderr.toString(), /unsupported version \(1\.16\)/);
      const ours = await cli(['list', file]);
      assert.equal(ours.exitCode, 0, ours.stderr.toString());
      assert.match(ours.stdout.toString(), /^; {5}Dump Version: 1\.16-0$/m);
      assert.match(ours.stdout.toString(), /^; {5}Compression: (gzip|none)$/m);
      assert.match(ours.stdout.toString(), /^\d+; \d+ \d+ TABLE sales customer postgres$/m);
    });
  }
});

describe('cli list --json', () => {
  it('every entry, hidden ones too, with NULL as null', async () => {
    const r = await cli(['list', fixturePath('custom.dump'), '--json']);
    assert.equal(r.exitCode, 0);
    const doc = JSON.parse(r.stdout.toString());
    assert.equal(doc.entries.length, doc.header.tocCount);
    const encoding = doc.entries.find((e: { desc: string }) => e.desc === 'ENCODING');
    assert.equal(encoding.listed, false, 'pg_restore -l hides ENCODING');
    const schema = doc.entries.find((e: { desc: string; tag: string }) => e.desc === 'SCHEMA' && e.tag === 'sales');
    assert.equal(schema.namespace, null);
    const data = doc.entries.find((e: { desc: string; tag: string }) => e.desc === 'TABLE DATA' && e.tag === 'customer');
    for (const key of ['dumpId', 'desc', 'section', 'namespace', 'tag', 'owner', 'tablespace', 'tableam', 'relkind', 'dependencies', 'hadDumper', 'dataSize']) {
      assert.ok(key in data, `entry lacks ${key}`);
    }
    assert.equal(data.section, 'data');
    assert.ok(data.dataSize > 0);
    const listed = (await pgTool('pg_restore', ['-l', fixturePath('custom.dump')])).stdout.toString().split('\n').filter((l) => /^\d+;/.test(l));
    assert.equal(doc.entries.filter((e: { listed: boolean }) => e.listed).length, listed.length);
  });
});

describe('cli data', () => {
  const plainRows = (table: string, n: number) => {
    const sql = fs.readFileSync(fixturePath('plain.sql'), 'utf8');
    const start = sql.indexOf(`COPY ${table} `);
    const body = sql.slice(sql.indexOf('\n', start) + 1);
    return body.slice(0, body.indexOf('\n\\.\n')).split('\n').slice(0, n);
  };

  for (const name of [...READABLE, 'dir-gzip']) {
    it(`${name}: the first rows as COPY text`, async () => {
      const r = await cli(['data', fixturePath(name), '--table', 'sales.customer', '--limit', '7']);
      assert.equal(r.exitCode, 0, r.stderr.toString());
      assert.deepEqual(r.stdout.toString().trimEnd().split('\n'), plainRows('sales.customer', 7));
    });
  }

  it('a table with a space and quotes in its name, all rows', async () => {
    const r = await cli(['data', fixturePath('custom.dump'), '--table', 'Audit Log.Event "Quoted" Name']);
    assert.equal(r.exitCode, 0, r.stderr.toString());
    assert.deepEqual(r.stdout.toString().trimEnd().split('\n'), plainRows('"Audit Log"."Event ""Quoted"" Name"', 1000));
  });

  it('an unknown table is a one-line error', async () => {
    assertOneLineError(await cli(['data', fixturePath('custom.dump'), '--table', 'sales.nope']), /no table sales\.nope/);
  });
});

describe('cli launcher: `list FILE` and `restore` run programs of their own (dist/cli/list.cjs, restore.cjs), every command a V8 code cache', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-cli-fast-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The whole CLI's bundle, which the launcher skips for `list FILE`. */
  const wholeCli = (args: string[]) => spawnSync(process.execPath, [path.join(projectRoot, 'dist', 'cli', 'main.cjs'), ...args]);
  /** Runs dist/cli.js with its cache folder under `home`; returns its output and the cache files there, by name. */
  const launch = (home: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [path.join(projectRoot, 'dist', 'cli.js'), ...args], { env: { ...process.env, XDG_CACHE_HOME: home, ...env } });
    const folder = path.join(home, 'pg-dump-explorer', 'code-cache');
    const files = fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [];
    return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString(), folder, files };
  };
  /** "list.list": which bundle ran, for which command, as the name of the cache it wrote. */
  const bundleAndCommand = (file: string) => file.split('.').slice(0, 2).join('.');

  it('runs for exactly `list FILE`; the whole CLI runs for anything else', () => {
    const file = fixturePath('custom.dump');
    const ran = (args: string[]) => {
      const home = fs.mkdtempSync(path.join(dir, 'home-'));
      const r = launch(home, args);
      assert.equal(r.files.length, 1, r.files.join(', '));
      return bundleAndCommand(r.files[0]!);
    };
    assert.equal(ran(['list', file]), 'list.list');
    assert.equal(ran(['list', file, '--json']), 'main.list');
    assert.equal(ran(['list', '--json', file]), 'main.list');
    assert.equal(ran(['list']), 'main.list');
    const restoreUsage = launch(fs.mkdtempSync(path.join(dir, 'home-')), ['restore', file]);
    const wholeUsage = wholeCli(['restore', file]);
    assert.equal(restoreUsage.stderr, wholeUsage.stderr.toString());
    assert.equal(restoreUsage.status, wholeUsage.status);
    assert.equal(restoreUsage.status, 2);
    assert.equal(ran(['--help']), 'main.other');
    // `restore`: a program of its own too, which answers its usage errors as the whole CLI does.
    assert.equal(ran(['restore', file]), 'restore.restore');
    assert.equal(ran(['plan', file, '--table', 'public.bulk_rows']), 'main.plan');
  });

  it('the code cache: written once in a private folder, used again, and a bad one is replaced without harm', () => {
    const home = fs.mkdtempSync(path.join(dir, 'cache-'));
    const first = launch(home, ['--help']);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.files.length, 1);
    const cacheFile = path.join(first.folder, first.files[0]!);
    assert.equal(fs.statSync(first.folder).mode & 0o777, 0o700);
    assert.equal(fs.statSync(cacheFile).mode & 0o777, 0o600);
    // Used as it is: the same answer, the file not written again.
    const written = fs.statSync(cacheFile).mtimeMs;
    const bytes = fs.readFileSync(cacheFile);
    const second = launch(home, ['--help']);
    assert.equal(second.stdout, first.stdout);
    assert.equal(second.stderr, first.stderr);
    assert.deepEqual(second.files, first.files);
    assert.equal(fs.statSync(cacheFile).mtimeMs, written);
    assert.ok(fs.readFileSync(cacheFile).equals(bytes));
    // Damaged: V8 refuses it, the command runs all the same, and the cache is written anew.
    fs.writeFileSync(cacheFile, Buffer.alloc(bytes.length, 0x5a));
    const third = launch(home, ['--help']);
    assert.equal(third.status, 0, third.stderr);
    assert.equal(third.stdout, first.stdout);
    assert.ok(!fs.readFileSync(cacheFile).equals(Buffer.alloc(bytes.length, 0x5a)), 'the damaged cache was replaced');
  });

  it('the code cache: a rebuild replaces its own, never another install\'s', () => {
    const home = fs.mkdtempSync(path.join(dir, 'installs-'));
    // A second install: the launcher and the bundles copied elsewhere.
    const other = fs.mkdtempSync(path.join(dir, 'other-'));
    fs.mkdirSync(path.join(other, 'cli'));
    fs.copyFileSync(path.join(projectRoot, 'dist', 'cli.js'), path.join(other, 'cli.js'));
    for (const f of ['main.cjs', 'list.cjs']) fs.copyFileSync(path.join(projectRoot, 'dist', 'cli', f), path.join(other, 'cli', f));
    const runOther = () => spawnSync(process.execPath, [path.join(other, 'cli.js'), '--help'], { env: { ...process.env, XDG_CACHE_HOME: home } });
    const ours = launch(home, ['--help']);
    assert.equal(runOther().status, 0);
    const both = fs.readdirSync(ours.folder).sort();
    assert.equal(both.length, 2, both.join(', '));
    // The other install rebuilt (its bundle changed): its cache is replaced, ours is kept.
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(other, 'cli', 'main.cjs'), later, later);
    assert.equal(runOther().status, 0);
    const after = fs.readdirSync(ours.folder).sort();
    assert.equal(after.length, 2, after.join(', '));
    assert.ok(after.includes(ours.files[0]!), 'our cache is kept');
    assert.deepEqual(after.filter((f) => !both.includes(f)).length, 1, 'the other install\'s new cache replaced its old one');
  });

  it('the code cache: not used in a folder others may write to, nor when turned off', () => {
    const shared = fs.mkdtempSync(path.join(dir, 'shared-'));
    fs.mkdirSync(path.join(shared, 'pg-dump-explorer', 'code-cache'), { recursive: true });
    fs.chmodSync(path.join(shared, 'pg-dump-explorer', 'code-cache'), 0o777);
    const r = launch(shared, ['--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.files, []);
    const off = launch(fs.mkdtempSync(path.join(dir, 'off-')), ['--help'], { PG_DUMP_EXPLORER_CODE_CACHE: 'off' });
    assert.equal(off.status, 0, off.stderr);
    assert.equal(off.stdout, r.stdout);
    assert.deepEqual(off.files, []);
  });

  it('answers as the whole CLI does: the same output, messages and exit code for a good, a cut-short, an empty and a missing file', async () => {
    const bytes = fs.readFileSync(fixturePath('custom.dump'));
    const cut = path.join(dir, 'cut.dump');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.8)));
    const empty = path.join(dir, 'empty.dump');
    fs.writeFileSync(empty, '');
    const codes: number[] = [];
    for (const file of [fixturePath('custom.dump'), fixturePath('archive.tar'), cut, empty, path.join(dir, 'missing.dump')]) {
      const fast = await cli(['list', file]);
      const whole = wholeCli(['list', file]);
      assert.ok(fast.stdout.equals(whole.stdout), `${path.basename(file)}: the listings differ`);
      assert.equal(fast.stderr.toString(), whole.stderr.toString(), path.basename(file));
      assert.equal(fast.exitCode, whole.status, path.basename(file));
      codes.push(whole.status ?? -1);
    }
    assert.deepEqual(codes, [0, 0, 3, 1, 1]);
  });
});

describe('cli errors: bad input gets one line on stderr and a non-zero exit', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-cli-bad-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, bytes: Buffer | string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };

  it('empty file', async () => {
    assertOneLineError(await cli(['list', file('empty.dump', '')]), /empty/);
  });

  it('random bytes', async () => {
    const bytes = Buffer.alloc(5000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    assertOneLineError(await cli(['list', file('random.dump', bytes)]), /not a PostgreSQL dump|not a pg_dump/);
  });

  it('a pg_dumpall script where the dump of one database is expected', async () => {
    assertOneLineError(await cli(['list', fixturePath('cluster.sql')]), /cluster dump made by pg_dumpall/);
  });

  it('archive version above 1.16', async () => {
    const bytes = Buffer.from(fs.readFileSync(fixturePath('custom.dump')));
    bytes[6] = 17;
    assertOneLineError(await cli(['list', file('v117.dump', bytes)]), /1\.17/);
  });

  it('a directory without toc.dat', async () => {
    const empty = path.join(dir, 'no-toc');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, '3001.dat.gz'), 'x');
    assertOneLineError(await cli(['list', empty]), /toc\.dat/);
  });

  it('a directory with a missing data file: lists, names the entry, exits non-zero; data names the file', async () => {
    const copy = path.join(dir, 'missing-data');
    fs.cpSync(fixturePath('dir-gzip'), copy, { recursive: true });
    const doc = JSON.parse((await cli(['list', copy, '--json'])).stdout.toString());
    const data = doc.entries.find((e: { desc: string; tag: string }) => e.desc === 'TABLE DATA' && e.tag === 'customer');
    fs.rmSync(path.join(copy, `${data.dumpId}.dat.gz`));
    const listed = await cli(['list', copy]);
    const theirs = await pgTool('pg_restore', ['-l', copy]);
    assert.ok(listed.stdout.equals(theirs.stdout), 'still lists what pg_restore lists');
    assert.equal(listed.exitCode, 3);
    assert.match(listed.stderr.toString(), new RegExp(`entry ${data.dumpId} \\(TABLE DATA sales customer\\) is missing`));
    assertOneLineError(await cli(['data', copy, '--table', 'sales.customer']), new RegExp(`${data.dumpId}\\.dat`));
  });

  it('a directory with a corrupt data file: listing works, reading names the file', async () => {
    const copy = path.join(dir, 'corrupt-data');
    fs.cpSync(fixturePath('dir-gzip'), copy, { recursive: true });
    const doc = JSON.parse((await cli(['list', copy, '--json'])).stdout.toString());
    const data = doc.entries.find((e: { desc: string; tag: string }) => e.desc === 'TABLE DATA' && e.tag === 'customer');
    const gz = path.join(copy, `${data.dumpId}.dat.gz`);
    const bytes = fs.readFileSync(gz);
    fs.writeFileSync(gz, Buffer.concat([bytes.subarray(0, 20), Buffer.alloc(200, 0x55)]));
    assert.equal((await cli(['list', copy])).exitCode, 0);
    assertOneLineError(await cli(['data', copy, '--table', 'sales.customer']), new RegExp(`${data.dumpId}\\.dat\\.gz`));
  });

  for (const name of ['custom.dump', 'custom-piped.dump', 'archive.tar']) {
    it(`${name} cut short: lists what pg_restore -l lists, says which data is missing, exits 3`, async () => {
      const bytes = fs.readFileSync(fixturePath(name));
      const cut = file(`cut-${name}`, bytes.subarray(0, Math.floor(bytes.length * 0.8)));
      const theirs = await pgTool('pg_restore', ['-l', cut]);
      const ours = await cli(['list', cut]);
      assert.equal(theirs.exitCode, 0, 'pg_restore -l says nothing about a cut-short file');
      assert.ok(ours.stdout.equals(theirs.stdout));
      assert.equal(ours.exitCode, 3);
      assert.match(ours.stderr.toString(), /is (missing|incomplete)/);
    });
  }

  it('usage errors exit 2', async () => {
    const r = await cli(['frobnicate', fixturePath('custom.dump')]);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr.toString(), /unknown command: frobnicate/);
  });
});
