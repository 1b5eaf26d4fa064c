/**
 * The process runner, tool discovery and the pg_restore output parsers against the real
 * PostgreSQL client programs and the harness's throwaway server.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { openArchive } from '../../src/core/archive';
import { DumpError } from '../../src/core/errors';
import type { ArchiveVersion, TocEntry } from '../../src/core/model/types';
import { quoteConninfoValue } from '../../src/core/connections/conninfo';
import { formatPgpassLine, withTemporaryPassfile } from '../../src/core/connections/pgpass';
import { resolveConnection } from '../../src/core/connections/resolve';
import { runClientProgram } from '../../src/core/process/clientProgram';
import { CancelledError, RunError, run, runPipe, toolEnv } from '../../src/core/process/run';
import { RestoreErrorParser } from '../../src/core/restore/errorParser';
import { RestoreProgress, itemsIn, type ItemEvent, type VerboseEvent } from '../../src/core/restore/verboseParser';
import {
  findPgRestoreFor,
  findTool,
  findToolCandidates,
  findToolForServer,
  minimumMajorFor,
  parseToolVersion,
} from '../../src/core/tools/findTools';
import { fixturePath, pgTool, sharedFixture, testEnv } from '../support/env';
import { createDatabase, query } from '../support/pgServer';
import { until } from '../support/poll';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Whether a process is running (a zombie is not: it has exited and waits to be reaped). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Running pg_restore processes whose command line names database `db` (server backends do too, hence the program check). */
function pgRestoresFor(db: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0] ?? '') === 'pg_restore' && argv.some((a) => a.includes(db)) && running(Number(name))) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Running children of a process. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && running(Number(name))) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

let dbCount = 0;
/** A new empty database on the test server. */
async function freshDatabase(label: string): Promise<string> {
  const name = `pgdx_run_${label}_${process.pid}_${++dbCount}`;
  await createDatabase(testEnv().server, name);
  return name;
}

const pgRestore = () => path.join(testEnv().server.binDir, 'pg_restore');
/** Client-tool arguments for a database on the test server, as the restore will build them. */
const toolArgs = (dbname: string) => {
  const { host, port, user } = testEnv().server;
  return resolveConnection({ host, port, user, dbname }, { env: {} }).toToolArgs();
};

interface Plan {
  entries: TocEntry[];
  /** What `pg_restore -l` lists, minus the entries that print nothing when restored. */
  total: number;
  version: ArchiveVersion;
}

/** The entries `pg_restore -l` lists for an archive, as the native reader has them. */
async function planFor(file: string): Promise<Plan> {
  const listing = await pgTool('pg_restore', ['-l', file], { encoding: 'utf8' });
  assert.equal(listing.exitCode, 0, listing.stderr);
  const lines = listing.stdout.split('\n').filter((l) => /^\d+; /.test(l));
  const listed = new Set(lines.map((l) => Number.parseInt(l, 10)));
  const total = lines.filter((l) => !/^\d+; \d+ \d+ STATISTICS DATA /.test(l)).length;
  const opened = await openArchive(file);
  try {
    return { entries: opened.archive.entries.filter((e) => listed.has(e.dumpId)), total, version: opened.archive.header.version };
  } finally {
    await opened.close();
  }
}

const entryId = (plan: Plan, desc: string, namespace: string, tag: string): number => {
  const e = plan.entries.find((x) => x.desc === desc && x.namespace === namespace && x.tag === tag);
  assert.ok(e, `no ${desc} ${namespace}.${tag} in the plan`);
  return e.dumpId;
};

interface Restored {
  exitCode: number;
  events: VerboseEvent[];
  progress: RestoreProgress;
  errors: RestoreErrorParser;
  error?: unknown;
}

/** `pg_restore -v ... <file>` into `db` through run(), stderr fed to both parsers. */
async function restore(file: string, db: string, plan: Plan, extra: string[] = [], options: { signal?: AbortSignal; onSpawn?: (pid: number) => void; onEvent?: (e: VerboseEvent) => void } = {}): Promise<Restored> {
  const progress = new RestoreProgress({ entries: plan.entries });
  const errors = new RestoreErrorParser();
  const events: VerboseEvent[] = [];
  const out: Restored = { exitCode: -1, events, progress, errors };
  try {
    const r = await run(pgRestore(), ['-v', ...toolArgs(db), ...extra, file], {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
      onStderrLine: (line) => {
        errors.push(line);
        for (const e of progress.push(line)) {
          events.push(e);
          options.onEvent?.(e);
        }
      },
    });
    out.exitCode = r.exitCode;
    events.push(...progress.end());
  } catch (err) {
    out.error = err;
    if (err instanceof RunError && err.exitCode !== undefined) out.exitCode = err.exitCode;
  }
  return out;
}

const itemEvents = (events: VerboseEvent[]) => events.filter((e): e is ItemEvent => e.kind === 'item');

async function pgRestoreBackends(db: string): Promise<number> {
  const rows = await query<{ n: string }>(testEnv().server, 'postgres', `select count(*) as n from pg_stat_activity where datname = $1 and application_name = 'pg_restore'`, [db]);
  return Number(rows[0]?.n ?? 0);
}

async function lockWaiters(db: string): Promise<number> {
  const rows = await query<{ n: string }>(
    testEnv().server,
    'postgres',
    `select count(*) as n from pg_stat_activity where datname = $1 and application_name = 'pg_restore' and wait_event_type = 'Lock'`,
    [db],
  );
  return Number(rows[0]?.n ?? 0);
}

/** A session holding an ACCESS EXCLUSIVE lock on a table until released. */
async function lockTable(db: string, table: string): Promise<{ release: () => Promise<void> }> {
  const { host, port, user } = testEnv().server;
  const client = new Client({ host, port, user, database: db });
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${table} in access exclusive mode`);
  return {
    release: async () => {
      await client.query('rollback').catch(() => undefined);
      await client.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------

describe('process runner and pg_restore', function () {
  this.timeout(120_000);

  describe('findTools', () => {
    // A test of discovery only: shell scripts named pg_restore that print a version, so that
    // PATH order, duplicates, broken tools and version choice can be checked on any machine.
    let fake: string;
    const opts = (dirs: string[], extra: object = {}) => ({ env: { PATH: dirs.map((d) => path.join(fake, d)).join(path.delimiter) }, standardLocations: false, ...extra });

    before(() => {
      fake = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-fake-tools-'));
      const script = (dir: string, body: string, mode = 0o755) => {
        fs.mkdirSync(path.join(fake, dir), { recursive: true });
        fs.writeFileSync(path.join(fake, dir, 'pg_restore'), `#!/bin/sh\n${body}\n`, { mode });
      };
      script('pg15', 'echo "pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"');
      script('pg17', 'echo "pg_restore (PostgreSQL) 17.2"');
      script('broken', 'echo "something else" >&2; exit 2');
      script('not-executable', 'echo "pg_restore (PostgreSQL) 18.0"', 0o644);
      fs.mkdirSync(path.join(fake, 'link'));
      fs.symlinkSync(path.join(fake, 'pg15', 'pg_restore'), path.join(fake, 'link', 'pg_restore'));
      fs.mkdirSync(path.join(fake, 'empty'));
    });
    after(() => fs.rmSync(fake, { recursive: true, force: true }));

    it('parses --version output', () => {
      assert.deepEqual(parseToolVersion('pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n'), {
        major: 15,
        minor: 18,
        patch: 0,
        text: 'pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)',
      });
      assert.deepEqual(parseToolVersion('psql (PostgreSQL) 9.6.24'), { major: 9, minor: 6, patch: 24, text: 'psql (PostgreSQL) 9.6.24' });
      assert.equal(parseToolVersion('pg_dump (PostgreSQL) 18beta1')?.major, 18);
      assert.equal(parseToolVersion('pg_restore 1.0 from somewhere else'), null);
    });

    it('knows which pg_restore major reads which archive version', () => {
      const v = (minor: number) => minimumMajorFor({ major: 1, minor, rev: 0 });
      assert.deepEqual([v(10), v(12), v(13), v(14), v(15), v(16)], [9, 9, 11, 12, 16, 17]);
      assert.throws(() => v(17), (err: unknown) => err instanceof DumpError && err.code === 'unsupported-version');
    });

    it('finds every distinct pg_restore on PATH with its version, newest first', async () => {
      const found = await findToolCandidates('pg_restore', opts(['pg15', 'pg17', 'link', 'broken', 'not-executable']));
      assert.deepEqual(
        found.map((c) => [path.relative(fake, c.path), c.version && `${c.version.major}.${c.version.minor}`]),
        [
          ['pg17/pg_restore', '17.2'],
          ['pg15/pg_restore', '15.18'],
          ['broken/pg_restore', null],
        ],
        'the symlink is the pg15 one again; a file that is not executable is no candidate',
      );
      assert.match(found[2]?.problem ?? '', /--version failed \(exit 2\): something else/);
    });

    it('picks the newest that reads the archive, the configured one when it can', async () => {
      const v116 = { major: 1, minor: 16, rev: 0 };
      const v114 = { major: 1, minor: 14, rev: 0 };
      assert.equal(path.relative(fake, (await findPgRestoreFor(v116, opts(['pg15', 'pg17']))).path), 'pg17/pg_restore');
      const configured = await findPgRestoreFor(v114, opts(['pg17'], { configuredPath: path.join(fake, 'pg15') }));
      assert.deepEqual([path.relative(fake, configured.path), configured.source], ['pg15/pg_restore', 'configured']);
      // A configured pg_restore too old for the archive is passed over.
      assert.equal((await findPgRestoreFor(v116, opts(['pg17'], { configuredPath: path.join(fake, 'pg15', 'pg_restore') }))).source, 'PATH');
      const missing = await findToolCandidates('pg_restore', opts(['pg17'], { configuredPath: path.join(fake, 'nowhere', 'pg_restore') }));
      assert.deepEqual(
        missing.map((c) => [c.source, c.problem]),
        [
          ['PATH', undefined],
          ['configured', 'not found'],
        ],
      );
    });

    it('refuses, in one line, when no pg_restore can read the archive', async () => {
      await assert.rejects(findPgRestoreFor({ major: 1, minor: 16, rev: 0 }, opts(['pg15', 'broken'])), (err: unknown) => {
        assert.ok(err instanceof DumpError);
        assert.equal(err.code, 'unsupported');
        assert.equal(
          err.message,
          `this archive (format 1.16) needs pg_restore 17 or newer; found pg_restore 15.18 at ${path.join(fake, 'pg15', 'pg_restore')}, ${path.join(fake, 'broken', 'pg_restore')} (--version failed (exit 2): something else)`,
        );
        return true;
      });
      await assert.rejects(findPgRestoreFor({ major: 1, minor: 14, rev: 0 }, opts(['empty'])), (err: unknown) => err instanceof DumpError && err.code === 'not-found' && !err.message.includes('\n'));
      await assert.rejects(findTool('pg_restore', opts(['empty'])), (err: unknown) => err instanceof DumpError && err.code === 'not-found');
    });

    it('finds the real pg_restore of this machine and its version', async () => {
      const { server } = testEnv();
      const found = await findToolCandidates('pg_restore');
      const own = found.find((c) => c.realPath === fs.realpathSync(path.join(server.binDir, 'pg_restore')));
      assert.ok(own, `the server's pg_restore is not among ${found.map((c) => c.path).join(', ')}`);
      assert.equal(own.version?.major, Number(server.version.split('.')[0]));
      assert.equal(`${own.version?.major}.${own.version?.minor}`, server.version);
      // Debian's pg_wrapper only runs one of the versioned binaries, which are candidates already: not asked.
      assert.ok(found.some((c) => c.source === 'debian'), 'the Debian packages are found under /usr/lib/postgresql');
      assert.deepEqual(found.filter((c) => path.basename(c.realPath) === 'pg_wrapper').map((c) => c.path), []);
      const psql = await findTool('psql');
      assert.ok(psql.version && psql.version.major >= Number(server.version.split('.')[0]));
      const plan = await planFor(fixturePath('custom.dump'));
      const pick = await findPgRestoreFor(plan.version);
      assert.ok(pick.version && pick.version.major >= minimumMajorFor(plan.version));
    });

    it('does not hand a 1.16 archive to pg_restore 15, and says it needs 17', async () => {
      const file = sharedFixture('pg18-rich.custom.dump');
      const opened = await openArchive(file);
      const version = opened.archive.header.version;
      await opened.close();
      assert.deepEqual([version.major, version.minor], [1, 16]);
      const candidates = await findToolCandidates('pg_restore');
      const able = candidates.filter((c) => c.version && c.version.major >= 17);
      if (able.length > 0) {
        // A machine with PostgreSQL 17+ installed too: that one is picked.
        assert.ok(((await findPgRestoreFor(version)).version?.major ?? 0) >= 17);
        return;
      }
      await assert.rejects(findPgRestoreFor(version), (err: unknown) => {
        assert.ok(err instanceof DumpError);
        assert.equal(err.code, 'unsupported');
        assert.match(err.message, /^this archive \(format 1\.16\) needs pg_restore 17 or newer; found pg_restore 15\.\d+ at \S+pg_restore/);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
      // And that is indeed what the real pg_restore 15 would do with it.
      const r = await pgTool('pg_restore', ['-l', file], { encoding: 'utf8' });
      assert.equal(r.exitCode, 1);
      assert.match(r.stderr, /unsupported version \(1\.16\) in file header/);
    });
  });

  describe('run()', () => {
    it('passes arguments as they are, builds the environment, streams lines', async () => {
      const saved = process.env.PGAPPNAME;
      process.env.PGAPPNAME = 'leaked-from-parent';
      try {
        const lines: string[] = [];
        const r = await run('/bin/sh', ['-c', 'printf "%s\\n" "$1" "$2"; env | sort >&2', 'sh', 'a b; $(x)', "it's"], {
          env: { PGHOST: '127.0.0.1', PGPORT: '5433' },
          onStderrLine: (l) => lines.push(l),
        });
        assert.equal(r.stdout, "a b; $(x)\nit's\n");
        const env = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        assert.equal(env.LC_MESSAGES, 'C');
        assert.equal(env.PG_COLOR, 'never');
        assert.equal(env.PGHOST, '127.0.0.1');
        assert.equal(env.PGPORT, '5433');
        assert.equal(env.PGAPPNAME, undefined, "the parent's PG* variables are not passed on");
        assert.equal(env.PATH, process.env.PATH);
      } finally {
        if (saved === undefined) delete process.env.PGAPPNAME;
        else process.env.PGAPPNAME = saved;
      }
      assert.deepEqual(Object.keys(toolEnv({ LC_ALL: undefined }, { LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8', PATH: '/bin' })).sort(), ['LC_MESSAGES', 'PATH', 'PG_COLOR']);
    });

    it('gives typed errors: exit code and the last stderr lines, or why it could not start', async () => {
      await assert.rejects(run('/bin/sh', ['-c', 'echo one >&2; echo two >&2; exit 3']), (err: unknown) => {
        assert.ok(err instanceof RunError);
        assert.equal(err.exitCode, 3);
        assert.equal(err.signal, undefined);
        assert.deepEqual(err.stderrTail, ['one', 'two']);
        assert.equal(err.message, 'sh exited with code 3: two');
        return true;
      });
      const r = await run('/bin/sh', ['-c', 'exit 1'], { reject: false });
      assert.equal(r.exitCode, 1);
      await assert.rejects(run('/nonexistent/pg_restore', ['-l']), (err: unknown) => err instanceof RunError && err.exitCode === undefined && /not found/.test(err.message));
    });

    it('feeds stdin from a stream (psql reading a script)', async () => {
      const db = testEnv().database;
      const script = Readable.from(['select count(*) from public.bulk_rows;\n', "select 'two' || ' lines';\n"]);
      const out: string[] = [];
      await run(path.join(testEnv().server.binDir, 'psql'), ['-X', '-At', ...toolArgs(db), '-f', '-'], { stdin: script, onStdoutLine: (l) => out.push(l) });
      assert.deepEqual(out, ['5000', 'two lines']);
    });

    it('cancelling ends the program and its children (a grandchild of ours)', async () => {
      const ac = new AbortController();
      let shell = 0;
      let grandchild = 0;
      const done = run('/bin/sh', ['-c', 'sleep 300 & echo $!; wait'], {
        signal: ac.signal,
        onSpawn: (pid) => (shell = pid),
        onStdoutLine: (l) => {
          grandchild = Number(l);
          ac.abort();
        },
      });
      await assert.rejects(done, (err: unknown) => err instanceof CancelledError);
      assert.ok(shell > 0 && grandchild > 0);
      assert.ok(!running(shell), 'the shell is gone');
      assert.ok(!running(grandchild), 'its background sleep is gone too');
    });

    it('a program that ignores SIGTERM is killed after the grace period', async () => {
      const ac = new AbortController();
      let pid = 0;
      const started = Date.now();
      const done = run('/bin/sh', ['-c', 'trap "" TERM; sleep 300 & echo ready; wait; wait'], {
        signal: ac.signal,
        killGraceMs: 300,
        onSpawn: (p) => (pid = p),
        onStdoutLine: () => ac.abort(),
      });
      await assert.rejects(done, (err: unknown) => err instanceof CancelledError);
      assert.ok(!running(pid));
      assert.ok(Date.now() - started < 10_000);
    });

    it('an aborted signal starts nothing', async () => {
      let spawned = false;
      await assert.rejects(run('/bin/sh', ['-c', 'exit 0'], { signal: AbortSignal.abort(), onSpawn: () => (spawned = true) }), CancelledError);
      assert.equal(spawned, false);
    });
  });

  describe('runPipe(): two programs joined by a pipe', () => {
    it('hands the first one\'s bytes, as they are, to the second', async () => {
      const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0xc3, 0x28]);
      const file = path.join(os.tmpdir(), `pgdx-pipe-${process.pid}.bin`);
      try {
        const { first, second } = await runPipe({ file: process.execPath, args: ['-e', `process.stdout.write(Buffer.from(${JSON.stringify([...bytes])}))`] }, { file: '/bin/sh', args: ['-c', `cat > '${file}'`] });
        assert.deepEqual([first.exitCode, second.exitCode], [0, 0]);
        assert.deepEqual(fs.readFileSync(file), bytes);
      } finally {
        fs.rmSync(file, { force: true });
      }
    });

    it('a real pg_dump piped into pg_restore copies a table between databases', async () => {
      const { server } = testEnv();
      const target = `pgdx_pipe_${process.pid}`;
      await createDatabase(server, target);
      try {
        const bin = (tool: string) => path.join(server.binDir, tool);
        const env = { PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user };
        await runPipe(
          { file: bin('pg_dump'), args: ['-Fc', '-t', 'public.bulk_rows', '-d', testEnv().database], options: { env } },
          { file: bin('pg_restore'), args: ['--single-transaction', '--exit-on-error', '--no-owner', '-d', target], options: { env } },
        );
        const [row] = await query<{ n: string }>(server, target, 'select count(*)::text as n from public.bulk_rows');
        assert.equal(row?.n, '5000');
      } finally {
        await query(server, 'postgres', `drop database if exists ${target} with (force)`);
      }
    });

    it('when the first fails, the second never reads an end of input (it would commit half a stream): it is ended, and the first\'s error is the answer', async () => {
      const marker = path.join(os.tmpdir(), `pgdx-pipe-eof-${process.pid}`);
      try {
        await assert.rejects(
          runPipe({ file: '/bin/sh', args: ['-c', 'echo partial; echo broken >&2; exit 3'] }, { file: '/bin/sh', args: ['-c', `cat > /dev/null; touch '${marker}'`] }),
          (err: unknown) => err instanceof RunError && err.exitCode === 3 && /^sh exited with code 3: broken$/.test(err.message),
        );
        assert.equal(fs.existsSync(marker), false, 'the second program saw the end of its input');
      } finally {
        fs.rmSync(marker, { force: true });
      }
    });

    it('when the second fails, the first (blocked on a full pipe) is ended too', async () => {
      let writer = 0;
      const started = Date.now();
      await assert.rejects(
        runPipe({ file: '/bin/sh', args: ['-c', 'yes'], options: { onSpawn: (pid) => (writer = pid) } }, { file: '/bin/sh', args: ['-c', 'head -c 10 > /dev/null; exit 4'] }),
        (err: unknown) => err instanceof RunError && err.exitCode === 4,
      );
      assert.ok(writer > 0 && !running(writer), 'the first program is gone');
      assert.ok(Date.now() - started < 10_000);
    });

    it('cancelling ends both, with their children', async () => {
      const ac = new AbortController();
      const pids: number[] = [];
      const done = runPipe(
        { file: '/bin/sh', args: ['-c', 'sleep 300 & wait'], options: { onSpawn: (pid) => pids.push(pid) } },
        { file: '/bin/sh', args: ['-c', 'echo ready >&2; sleep 300 & wait'], options: { onSpawn: (pid) => pids.push(pid), onStderrLine: () => ac.abort() } },
        { signal: ac.signal },
      );
      await assert.rejects(done, CancelledError);
      assert.equal(pids.length, 2);
      for (const pid of pids) assert.ok(!running(pid), `${pid} is gone`);
      for (const pid of pids) assert.deepEqual(childrenOf(pid), [], `children of ${pid} are gone`);
    });
  });

  describe('temporary password files and tool arguments', () => {
    it('writes a 0600 password file for the call only, and removes it', async () => {
      let seen = '';
      const result = await withTemporaryPassfile(`${formatPgpassLine({ host: '*', port: '*', database: '*', user: '*', password: 's3cr:et\\' })}\n`, async (PGPASSFILE) => {
        seen = PGPASSFILE;
        const stat = fs.statSync(PGPASSFILE);
        assert.equal(stat.mode & 0o777, 0o600);
        assert.equal(fs.readFileSync(PGPASSFILE, 'utf8'), '*:*:*:*:s3cr\\:et\\\\\n');
        // psql accepts it (the test server trusts every connection; this checks the plumbing).
        const r = await run(path.join(testEnv().server.binDir, 'psql'), ['-X', '-At', ...toolArgs('postgres'), '-c', 'select 1'], { env: { PGPASSFILE } });
        return r.stdout.trim();
      });
      assert.equal(result, '1');
      assert.ok(seen && !fs.existsSync(seen) && !fs.existsSync(path.dirname(seen)));
    });

    it('runClientProgram: the connection\'s arguments where the caller puts them, its password only in a 0600 file that is gone afterwards', async () => {
      const { server } = testEnv();
      const password = `pw ${process.pid}:x`;
      const connection = resolveConnection({ host: server.host, port: server.port, user: server.user, dbname: 'postgres', password }, { env: {} });
      const script = 'echo "args: $*"; echo "file: $PGPASSFILE"; stat -c %a "$PGPASSFILE"; cat "$PGPASSFILE"; env | grep -c "^PGPASSWORD=" || true';
      const r = await runClientProgram({ path: '/bin/sh' }, connection, (connectionArgs) => ['-c', script, 'sh', ...connectionArgs]);
      const [argsLine, fileLine, mode, ...rest] = r.stdout.trim().split('\n');
      assert.equal(argsLine, `args: --host=${server.host} --port=${server.port} --username=${server.user} --dbname=postgres -w`);
      assert.ok(!argsLine!.includes(password));
      assert.equal(mode, '600');
      assert.equal(rest[0], formatPgpassLine({ host: '*', port: '*', database: '*', user: server.user, password }));
      assert.equal(rest[1], '0', 'no PGPASSWORD');
      const file = fileLine!.replace(/^file: /, '');
      assert.ok(file && !fs.existsSync(file), 'the password file is removed');
      // And a real client program gets in with it.
      const psql = await runClientProgram({ path: path.join(server.binDir, 'psql') }, connection, (c) => ['-X', '-At', ...c, '-c', 'select current_user']);
      assert.equal(psql.stdout.trim(), server.user);
    });

    it('findToolForServer: a pg_dump of the server\'s major or newer, or one line naming the server, the newest found and what to do', async () => {
      const local = await findTool('pg_dump');
      const major = local.version!.major;
      const same = await findToolForServer('pg_dump', { major, version: `${major}.1` });
      assert.ok(same.version!.major >= major);
      await assert.rejects(findToolForServer('pg_dumpall', { major: major + 3, version: `${major + 3}.1` }, { setting: 'pgDumpExplorer.pgDumpallPath' }), (err: unknown) => {
        assert.ok(err instanceof DumpError);
        assert.match(err.message, new RegExp(`^the server runs PostgreSQL ${major + 3}\\.1, and pg_dumpall must be of major ${major + 3} or newer; the newest found is pg_dumpall ${major}\\.\\d+ at .*: install the PostgreSQL ${major + 3} client programs, or set pgDumpExplorer\\.pgDumpallPath to a pg_dumpall ${major + 3} or newer$`));
        return true;
      });
    });

    it('removes the file when the call fails or is cancelled', async () => {
      let seen = '';
      await assert.rejects(
        withTemporaryPassfile('*:*:*:*:pw\n', (PGPASSFILE) => {
          seen = PGPASSFILE;
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.ok(seen && !fs.existsSync(path.dirname(seen)));
      const ac = new AbortController();
      await assert.rejects(
        withTemporaryPassfile('*:*:*:*:pw\n', (PGPASSFILE) => {
          seen = PGPASSFILE;
          setTimeout(() => ac.abort(), 50);
          return run('/bin/sleep', ['300'], { signal: ac.signal, env: { PGPASSFILE } });
        }),
        CancelledError,
      );
      assert.ok(!fs.existsSync(path.dirname(seen)));
    });

    it('a database name that looks like a connection string reaches the server as a name', async () => {
      const { server } = testEnv();
      const name = `pgdx odd=name ${process.pid}`;
      await createDatabase(server, name);
      // libpq expands a dbname holding `=`; a literal name is written `dbname='…'`, as in psql.
      const args = resolveConnection(`host=${server.host} port=${server.port} user=${server.user} dbname=${quoteConninfoValue(name)}`, { env: {} }).toToolArgs();
      const r = await run(path.join(server.binDir, 'psql'), ['-X', '-At', ...args, '-c', 'select current_database()']);
      assert.equal(r.stdout.trim(), name);
    });
  });

  describe('real pg_restore -v through run()', () => {
    it('serial restore of custom.dump: one item per listed entry, all data bytes, the data in place', async () => {
      const file = fixturePath('custom.dump');
      const plan = await planFor(file);
      assert.equal(itemsIn(plan.entries), plan.total);
      const db = await freshDatabase('serial');
      const r = await restore(file, db, plan);
      assert.equal(r.error, undefined, String(r.error));
      assert.equal(r.exitCode, 0);
      const items = itemEvents(r.events);
      assert.equal(items.length, plan.total);
      assert.deepEqual(
        items.map((e) => e.index),
        items.map((_, i) => i + 1),
      );
      assert.deepEqual(new Set(items.map((e) => e.dumpId)), new Set(plan.entries.filter((e) => e.desc !== 'STATISTICS DATA').map((e) => e.dumpId)), 'every line matched its entry');
      const snap = r.progress.snapshot();
      assert.equal(snap.finished, plan.total);
      assert.ok(snap.bytesTotal > 0);
      assert.equal(snap.bytesDone, snap.bytesTotal);
      assert.equal(snap.mode, 'serial');
      assert.deepEqual(r.errors.end(), { errors: [], ignoredCount: null, warnings: [] });
      const [row] = await query<{ n: string; lo: string; events: string }>(
        testEnv().server,
        db,
        `select (select count(*) from public.bulk_rows) as n,
                (select count(*) from pg_largeobject_metadata where oid = 424242) as lo,
                (select count(*) from "Audit Log"."Event ""Quoted"" Name") as events`,
      );
      assert.deepEqual(row, { n: '5000', lo: '1', events: '50' });
    });

    it('parallel restore (-j 2) of dir-gzip: items from the leader lines, with dump IDs', async () => {
      const file = fixturePath('dir-gzip');
      const plan = await planFor(file);
      const db = await freshDatabase('parallel');
      const r = await restore(file, db, plan, ['-j', '2']);
      assert.equal(r.error, undefined, String(r.error));
      const items = itemEvents(r.events);
      assert.equal(items.length, plan.total);
      assert.ok(items.every((e) => e.dumpId !== undefined));
      assert.equal(new Set(items.map((e) => e.dumpId)).size, plan.total);
      const snap = r.progress.snapshot();
      assert.equal(snap.mode, 'parallel');
      assert.equal(snap.finished, plan.total);
      assert.equal(snap.bytesDone, snap.bytesTotal);
      assert.ok(r.events.some((e) => e.kind === 'parallel' && e.phase === 'start'));
      const [row] = await query<{ n: string }>(testEnv().server, db, 'select count(*) as n from public.bulk_rows');
      assert.equal(row?.n, '5000');
    });

    it('a failing restore (twice into the same database): errors tied to the right entries, and the count', async () => {
      const file = fixturePath('custom.dump');
      const plan = await planFor(file);
      const db = await freshDatabase('twice');
      assert.equal((await restore(file, db, plan)).exitCode, 0);
      const r = await restore(file, db, plan);
      assert.ok(r.error instanceof RunError, String(r.error));
      assert.equal(r.exitCode, 1);
      const summary = r.errors.end();
      assert.ok(summary.errors.length > 10);
      assert.equal(summary.ignoredCount, summary.errors.length, 'serial: every error printed is counted once');
      const ids = new Set(plan.entries.map((e) => e.dumpId));
      assert.ok(summary.errors.every((e) => e.dumpId !== undefined && ids.has(e.dumpId)), 'every error names an entry of the archive');
      const table = summary.errors.find((e) => e.dumpId === entryId(plan, 'TABLE', 'public', 'bulk_rows'));
      assert.equal(table?.kind, 'query');
      assert.equal(table?.message, 'ERROR:  relation "bulk_rows" already exists');
      assert.match(table?.command ?? '', /^CREATE TABLE public\.bulk_rows \(\n/);
      const data = summary.errors.find((e) => e.dumpId === entryId(plan, 'TABLE DATA', 'public', 'bulk_rows'));
      assert.equal(data?.kind, 'copy');
      assert.equal(data?.table, 'bulk_rows');
      assert.match(data?.message ?? '', /duplicate key value violates unique constraint "bulk_rows_pkey"/);
      // Progress still reaches the end: a failing entry prints its line before it fails.
      assert.equal(itemEvents(r.events).length, plan.total);
    });

    it('--single-transaction --exit-on-error on a conflicting table: one error, its entry, nothing committed', async () => {
      const file = fixturePath('custom.dump');
      const plan = await planFor(file);
      const db = await freshDatabase('conflict');
      await query(testEnv().server, db, 'create table public.bulk_rows (x int)');
      const r = await restore(file, db, plan, ['--single-transaction', '--exit-on-error']);
      assert.equal(r.exitCode, 1);
      const summary = r.errors.end();
      assert.equal(summary.ignoredCount, null);
      assert.equal(summary.errors.length, 1);
      assert.equal(summary.errors[0]?.dumpId, entryId(plan, 'TABLE', 'public', 'bulk_rows'));
      assert.equal(summary.errors[0]?.entry?.desc, 'TABLE');
      const rows = await query(testEnv().server, db, `select 1 from pg_namespace where nspname = 'sales'`);
      assert.equal(rows.length, 0, 'the transaction was rolled back');
    });

    it('cancelling a blocked single-transaction restore ends pg_restore, its query, and commits nothing', async () => {
      const file = fixturePath('custom.dump');
      const plan = await planFor(file);
      const db = await freshDatabase('cancel');
      assert.equal((await pgTool('pg_restore', ['--section=pre-data', '-d', db, file])).exitCode, 0);
      const lock = await lockTable(db, 'public.bulk_rows');
      try {
        const ac = new AbortController();
        let pid = 0;
        let reached = false;
        const done = restore(file, db, plan, ['--section=data', '--single-transaction'], {
          signal: ac.signal,
          onSpawn: (p) => (pid = p),
          onEvent: (e) => {
            if (e.kind === 'item' && e.name === 'public.bulk_rows') reached = true;
          },
        });
        await until('pg_restore to wait for the lock', async () => reached && (await lockWaiters(db)) === 1);
        assert.ok(running(pid));
        ac.abort();
        const r = await done;
        assert.ok(r.error instanceof CancelledError, String(r.error));
        assert.ok(!running(pid));
        assert.deepEqual(pgRestoresFor(db), [], 'no pg_restore left running');
        await until('its server session to end', async () => (await pgRestoreBackends(db)) === 0, { timeoutMs: 10_000 });
      } finally {
        await lock.release();
      }
      const [row] = await query<{ events: string; bulk: string }>(testEnv().server, db, `select (select count(*) from "Audit Log"."Event ""Quoted"" Name") as events, (select count(*) from public.bulk_rows) as bulk`);
      assert.deepEqual(row, { events: '0', bulk: '0' }, 'the data loaded before the cancel was rolled back');
    });

    it('cancelling a parallel restore ends pg_restore and its worker processes', async () => {
      const file = fixturePath('dir-gzip');
      const plan = await planFor(file);
      const db = await freshDatabase('cancelj');
      assert.equal((await pgTool('pg_restore', ['--section=pre-data', '-d', db, file])).exitCode, 0);
      const lock = await lockTable(db, 'public.bulk_rows');
      let workers: number[] = [];
      try {
        const ac = new AbortController();
        let pid = 0;
        const done = restore(file, db, plan, ['--section=data', '-j', '2'], { signal: ac.signal, onSpawn: (p) => (pid = p) });
        await until('a worker to wait for the lock', async () => pid > 0 && (await lockWaiters(db)) === 1);
        workers = childrenOf(pid);
        assert.equal(workers.length, 2, 'pg_restore -j 2 forks two workers');
        ac.abort();
        const r = await done;
        assert.ok(r.error instanceof CancelledError, String(r.error));
        assert.ok(!running(pid));
        for (const w of workers) assert.ok(!running(w), `worker ${w} is gone`);
        assert.deepEqual(pgRestoresFor(db), []);
        await until('the workers’ server sessions to end', async () => (await pgRestoreBackends(db)) === 0, { timeoutMs: 10_000 });
      } finally {
        await lock.release();
      }
    });
  });
});
