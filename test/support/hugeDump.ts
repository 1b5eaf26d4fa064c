/**
 * A plain dump VS Code will not give extensions as a document (above 50 MB): real pg_dump output
 * of a generated table, made on the test server in a database dropped again afterwards.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createDatabase, query, type ServerAddress } from './pgServer';

/** A server and its client programs: the test server as the harness and TestEnv describe it. */
type ServerWithTools = ServerAddress & { binDir: string; env: Record<string, string> };

export const HUGE_DUMP_ROWS = 850_000;

/** Writes `pg_dump -Fp` of a schema `big` (accounts, and `rows` events with an index) to `file`; returns its size in bytes. */
export async function makeHugePlainDump(server: ServerWithTools, file: string, rows = HUGE_DUMP_ROWS): Promise<number> {
  const db = `pgdx_huge_${process.pid}_${path.basename(file).replace(/\W/g, '_')}`;
  await createDatabase(server, db);
  try {
    await query(server, db, [
      'CREATE SCHEMA big',
      'CREATE TABLE big.account (id int PRIMARY KEY, name text NOT NULL)',
      'CREATE TABLE big.events (id bigint PRIMARY KEY, account_id int REFERENCES big.account(id), payload text)',
      "INSERT INTO big.account SELECT g, 'account ' || g FROM generate_series(1, 100) g",
      `INSERT INTO big.events SELECT g, 1 + g % 100, repeat(md5(g::text), 2) FROM generate_series(1, ${rows}) g`,
      'CREATE INDEX events_account_idx ON big.events (account_id)',
    ].join('; '));
    await promisify(execFile)(path.join(server.binDir, 'pg_dump'), ['-d', db, '-Fp', '-f', file], { env: { ...process.env, ...server.env, LC_MESSAGES: 'C' } });
  } finally {
    await query(server, 'postgres', `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  }
  return fs.statSync(file).size;
}
