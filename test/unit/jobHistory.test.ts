import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDuration, formatLocalTime, formatWhen, historyItemText, jobLabel, jobTooltip } from '../../src/core/history/historyText';
import { JobHistory, outcomeOf, type JobRecord, type NewJobRecord } from '../../src/core/history/jobHistory';
import { JobLog } from '../../src/core/history/jobLog';
import { JobRun } from '../../src/core/history/jobRun';

const job = (patch: Partial<NewJobRecord> = {}): NewJobRecord => ({
  kind: 'restore',
  startedAt: '2026-12-07T09:00:00.000Z',
  durationMs: 1234,
  outcome: 'succeeded',
  summary: 'Restored 12 items.',
  ...patch,
});

describe('job history store', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-history-'));
    file = path.join(dir, 'history', 'jobs.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON line per job and lists them newest first', async () => {
    const h = new JobHistory(file);
    assert.deepEqual(await h.list(), [], 'no file yet: an empty history');
    const a = await h.record(job({ summary: 'first' }));
    const b = await h.record(job({ summary: 'second', kind: 'dump' }));
    assert.notEqual(a.id, b.id);
    assert.deepEqual(
      (await h.list()).map((j) => j.summary),
      ['second', 'first'],
    );
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.length, 3, 'two lines and the final newline');
    assert.equal((JSON.parse(lines[0]!) as JobRecord).summary, 'first');
    // Another instance (another window) reads the same file.
    assert.equal((await new JobHistory(file).list()).length, 2);
  });

  it('writes the job\'s log to a file of its own, named by its logPath', async () => {
    const h = new JobHistory(file);
    const r = await h.record(job(), { log: 'pg_restore -d x\nerror: boom\n' });
    assert.equal(r.logPath, path.join(dir, 'history', 'logs', `${r.id}.log`));
    assert.equal(fs.readFileSync(r.logPath, 'utf8'), 'pg_restore -d x\nerror: boom\n');
    assert.equal((await h.list())[0]?.logPath, r.logPath);
    const plain = await h.record(job());
    assert.equal(plain.logPath, undefined, 'no log given: none named');
  });

  it('keeps the newest N jobs, and deletes the logs of those it drops', async () => {
    const h = new JobHistory(file, 3);
    const made: JobRecord[] = [];
    for (let i = 0; i < 5; i++) made.push(await h.record(job({ summary: `job ${i}` }), { log: `log ${i}\n` }));
    assert.deepEqual(
      (await h.list()).map((j) => j.summary),
      ['job 4', 'job 3', 'job 2'],
    );
    assert.equal(fs.existsSync(made[0]!.logPath!), false);
    assert.equal(fs.existsSync(made[1]!.logPath!), false);
    assert.equal(fs.existsSync(made[2]!.logPath!), true);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'history', 'logs')).sort(), made.slice(2).map((m) => `${m.id}.log`).sort());
  });

  it('skips a line torn by a crash, and the next job still gets a line of its own', async () => {
    const h = new JobHistory(file);
    await h.record(job({ summary: 'before' }));
    fs.appendFileSync(file, '{"id":"torn","kind":"dump","startedAt":"2026-12');
    assert.deepEqual(
      (await h.list()).map((j) => j.summary),
      ['before'],
    );
    await h.record(job({ summary: 'after' }));
    assert.deepEqual(
      (await h.list()).map((j) => j.summary),
      ['after', 'before'],
    );
    // A line that parses but is not a job (no id) is skipped too.
    fs.appendFileSync(file, '{"what":"else"}\n[1,2]\n');
    assert.equal((await h.list()).length, 2);
  });

  it('jobs recorded at the same time all land, the cap applied once they have', async () => {
    const h = new JobHistory(file, 10);
    const changes: number[] = [];
    h.onDidChange(() => changes.push(1));
    const many = await Promise.all(Array.from({ length: 25 }, (_, i) => h.record(job({ summary: `job ${i}` }), { log: `log ${i}` })));
    assert.equal(new Set(many.map((m) => m.id)).size, 25);
    const listed = await h.list();
    assert.deepEqual(
      listed.map((j) => j.summary),
      Array.from({ length: 10 }, (_, i) => `job ${24 - i}`),
    );
    assert.equal(fs.readdirSync(path.join(dir, 'history', 'logs')).length, 10, 'the logs of dropped jobs are gone');
    assert.equal(changes.length, 25, 'listeners are told once per job');
  });

  it('removes one job with its log, and clears all', async () => {
    const h = new JobHistory(file);
    const a = await h.record(job({ summary: 'a' }), { log: 'a' });
    const b = await h.record(job({ summary: 'b' }), { log: 'b' });
    // A log the history did not write (e.g. named by another tool) is never deleted.
    const foreign = path.join(dir, 'report.log');
    fs.writeFileSync(foreign, 'x');
    const c = await h.record(job({ summary: 'c', logPath: foreign }));
    await h.remove(a.id);
    assert.deepEqual(
      (await h.list()).map((j) => j.summary),
      ['c', 'b'],
    );
    assert.equal(fs.existsSync(a.logPath!), false);
    assert.equal(fs.existsSync(b.logPath!), true);
    assert.equal((await h.get(c.id))?.summary, 'c');
    await h.clear();
    assert.deepEqual(await h.list(), []);
    assert.equal(fs.existsSync(b.logPath!), false);
    assert.equal(fs.existsSync(foreign), true);
  });

  it('a listener that throws does not fail the recording', async () => {
    const h = new JobHistory(file);
    h.onDidChange(() => {
      throw new Error('view gone');
    });
    assert.equal((await h.record(job())).outcome, 'succeeded');
  });

  it('outcomeOf: cancelled wins over failed', () => {
    assert.equal(outcomeOf({ ok: true, cancelled: false }), 'succeeded');
    assert.equal(outcomeOf({ ok: false, cancelled: false }), 'failed');
    assert.equal(outcomeOf({ ok: false, cancelled: true }), 'cancelled');
  });
});

describe('job log and job run', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-jobrun-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a job log keeps each line with its time and level, and passes it on', () => {
    const passed: string[] = [];
    const sink = { info: (m: string) => passed.push(`i ${m}`), warn: (m: string) => passed.push(`w ${m}`), error: (m: string) => passed.push(`e ${m}`), tool: (m: string) => passed.push(`t ${m}`) };
    const log = new JobLog(sink, () => new Date('2026-12-07T10:00:00.000Z'));
    log.info('ran: pg_restore -d x');
    log.tool('pg_restore: creating TABLE "public.t"');
    log.error('first line\nsecond line');
    log.warn('careful');
    assert.equal(
      log.text(),
      [
        '2026-12-07T10:00:00.000Z [info] ran: pg_restore -d x',
        '2026-12-07T10:00:00.000Z [tool] pg_restore: creating TABLE "public.t"',
        '2026-12-07T10:00:00.000Z [error] first line',
        '    second line',
        '2026-12-07T10:00:00.000Z [warning] careful',
        '',
      ].join('\n'),
    );
    assert.deepEqual(passed, ['i ran: pg_restore -d x', 't pg_restore: creating TABLE "public.t"', 'e first line\nsecond line', 'w careful']);
  });

  it('a job run records once, with its duration, the file\'s size and its log', async () => {
    const h = new JobHistory(path.join(dir, 'jobs.jsonl'));
    const dump = path.join(dir, 'a.dump');
    fs.writeFileSync(dump, Buffer.alloc(3000));
    const run = new JobRun(h, { kind: 'restore', source: 'a.dump', target: 'localhost:5432/x', file: dump });
    run.log.tool('pg_restore: processing item 1');
    const first = await run.finish({ outcome: 'failed', summary: 'The restore failed.' });
    const again = await run.failed(new Error('later'));
    assert.equal(again?.id, first?.id, 'recorded once');
    const [r] = await h.list();
    assert.equal((await h.list()).length, 1);
    assert.equal(r?.sizeBytes, 3000);
    assert.equal(r?.file, dump);
    assert.equal(r?.target, 'localhost:5432/x');
    assert.ok(r!.durationMs >= 0);
    assert.match(fs.readFileSync(r!.logPath!, 'utf8'), /\[tool\] pg_restore: processing item 1\n.*\[info\] restore failed: The restore failed\.\n$/);
  });

  it('a job run whose history cannot be written says so in its log, and does not throw', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const run = new JobRun(new JobHistory(path.join(blocker, 'jobs.jsonl')), { kind: 'dump' });
    assert.equal(await run.finish({ outcome: 'succeeded', summary: 'ok' }), undefined);
    assert.match(run.log.text(), /\[warning\] could not write the job history: /);
  });
});

describe('history items', () => {
  const now = new Date('2026-12-07T10:00:00.000Z');
  const rec = (patch: Partial<JobRecord> = {}): JobRecord => ({ id: 'j1', ...job(), ...patch });

  it('a restore: label, description, icon and the tokens its menus match', () => {
    const t = historyItemText(rec({ file: '/dumps/rich.dump', logPath: '/s/logs/j1.log', startedAt: '2026-12-07T09:48:00.000Z' }), now, 'present');
    assert.equal(t.label, 'Restore rich.dump');
    assert.equal(t.description, '12 min ago · succeeded');
    assert.deepEqual(t.icon, { id: 'pass', color: 'testing.iconPassed' });
    assert.equal(t.contextValue, 'job kind=restore outcome=succeeded hasLog hasFile');
  });

  it('a dump whose file is gone says so, and offers no action on the file', () => {
    const t = historyItemText(rec({ kind: 'dump', file: 'C:\\dumps\\shop.dump', outcome: 'failed' }), now, 'missing');
    assert.equal(t.label, 'Dump shop.dump');
    assert.equal(t.description, '1 h ago · failed · file no longer there');
    assert.equal(t.icon.id, 'error');
    assert.equal(t.contextValue, 'job kind=dump outcome=failed');
    assert.match(t.tooltip, /^File: C:\\dumps\\shop\.dump \(no longer there\)$/m);
  });

  it('a cancelled copy: databases in the label, a report, no file', () => {
    const t = historyItemText(rec({ kind: 'copy', outcome: 'cancelled', source: 'db1:5432/shop as alice', target: 'db2:5433/shop_copy', reportPath: '/r.md' }), now, undefined);
    assert.equal(t.label, 'Copy shop → shop_copy');
    assert.equal(t.icon.id, 'circle-slash');
    assert.equal(t.contextValue, 'job kind=copy outcome=cancelled hasReport');
    assert.equal(jobLabel(rec({ kind: 'dump', source: 'db1:5432/shop' })), 'Dump shop');
  });

  it('the tooltip has every field', () => {
    const started = new Date('2026-12-07T09:00:00.000Z');
    const tip = jobTooltip(rec({ source: 'rich.dump', target: 'localhost:5432/x', file: '/d/rich.dump', sizeBytes: 1536, durationMs: 65_000, logPath: '/l.log', reportPath: '/r.md' }));
    assert.deepEqual(tip.split('\n'), [
      'Restore: succeeded',
      `When: ${formatLocalTime(started)}`,
      'Source: rich.dump',
      'Target: localhost:5432/x',
      'File: /d/rich.dump',
      'Size: 1.5 kB',
      'Duration: 1 min 05 s',
      'Result: Restored 12 items.',
      'Log: /l.log',
      'Report: /r.md',
    ]);
  });

  it('times and durations as people read them', () => {
    assert.equal(formatWhen(new Date(now.getTime() - 20_000), now), 'just now');
    assert.equal(formatWhen(new Date(now.getTime() - 5 * 3600_000), now), '5 h ago');
    const old = new Date(2026, 0, 2, 3, 4);
    assert.equal(formatWhen(old, now), '2026-01-02 03:04');
    assert.equal(formatWhen(new Date('garbage'), now), 'at an unknown time');
    assert.equal(formatDuration(400), '0.4 s');
    assert.equal(formatDuration(3_725_000), '1 h 02 min');
  });
});
