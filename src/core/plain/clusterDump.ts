import { basename } from 'node:path';
import { DumpError } from '../errors';
import type { OpenedArchive } from '../formats/archive/openedArchive';
import { detectDump, type PlainCompression } from '../formats/detect';
import type { PlainArchive } from '../model/types';
import { indexFile, scanChunks, type IndexOptions, type PlainIndex } from './indexer';
import { openPlainDump } from './plainDump';
import { readRangeTexts } from './sqlRanges';
import { isName, isWord, nameOf, splitStatements, tokenize, type Token } from './sqlLexer';

/**
 * A pg_dumpall script read as its parts: the globals (roles, role memberships, role settings,
 * tablespaces, and the settings at its top) before the first database, then one part per
 * database, from its `-- Database "x" dump` block (or its `\connect` line, in scripts of
 * pg_dumpall 10 and older) to the next part or the cluster trailer. Each database part is the
 * output of pg_dump for it, and is indexed and opened as a plain dump of its own by byte range
 * (offsets stay those of the whole file). A globals-only script (`pg_dumpall -g`) has no parts.
 */

export type GlobalKind =
  /** `CREATE ROLE r` */
  | 'create-role'
  /** `ALTER ROLE r WITH …` (attributes, password) */
  | 'alter-role'
  /** `ALTER ROLE r [IN DATABASE d] SET …` */
  | 'role-setting'
  /** `COMMENT ON ROLE` / `SECURITY LABEL … ON ROLE` */
  | 'role-comment'
  /** `GRANT r TO m …` (role membership) */
  | 'membership'
  /** `CREATE TABLESPACE`, and what else names a tablespace */
  | 'tablespace'
  /** `SET …` at the top of the script */
  | 'setting'
  /** psql meta-commands: `\restrict`, `\unrestrict`, `\connect` */
  | 'meta'
  | 'other';

export interface GlobalStatement {
  kind: GlobalKind;
  /** The role it creates, alters or grants (memberships: the role granted). */
  role?: string;
  /** Memberships: the role the membership is given to. */
  member?: string;
  /** Memberships: `GRANTED BY g`. */
  grantor?: string;
  /** Role settings: `IN DATABASE d`. */
  database?: string;
  /** Tablespaces: its name. */
  tablespace?: string;
  /** The statement, as in the file (it may hold a password hash: never log it). */
  text: string;
}

export interface ClusterPart {
  /** The database's name, as the part's comment (or `\connect`) names it. */
  database: string;
  /** Bytes of the file's SQL text: from the part's comment block to the next part. */
  offset: number;
  length: number;
}

export interface ClusterIndex {
  path: string;
  compression: PlainCompression;
  /** `globals`: a pg_dumpall -g (-r, -t) script, without databases. */
  kind: 'cluster' | 'globals';
  /** Bytes of SQL text. */
  size: number;
  /** The key of the globals' `\restrict KEY`, when there is one. */
  restrictKey: string | null;
  globals: { offset: number; length: number; statements: GlobalStatement[] };
  /** Roles the script creates, in order. */
  roles: string[];
  /** Tablespaces the script creates, in order. */
  tablespaces: string[];
  databases: ClusterPart[];
  /** The `-- PostgreSQL database cluster dump complete` trailer was found. */
  complete: boolean;
}

const NL = 0x0a;
const DATABASE_BLOCK = /^-- Database "(.*)" dump$/;
const TRAILER = '-- PostgreSQL database cluster dump complete';
const COPY_END = Buffer.from('\n\\.\n');

/**
 * Finds the parts of a pg_dumpall script in one pass: comment blocks and `\connect` lines,
 * with COPY data skipped. Boundaries only; the parts are read when asked for.
 */
class ClusterScanner {
  bytes = 0;
  databases: ClusterPart[] = [];
  globalsEnd = -1;
  trailerAt = -1;
  private carry: Buffer | null = null;
  private lastDash = -1;
  private inCopy = false;
  private copyTail = Buffer.alloc(0);
  /** Whether `-- Database "x" dump` blocks mark the parts (pg_dumpall 11+); else `\connect` lines do. */
  private blocks = false;
  private sawDatabasesHeader = false;
  /** Whether a statement came before (an old script's leading `\connect template1` opens no part). */
  private sawStatement = false;

  push(chunk: Buffer): void {
    let buf = chunk;
    let base = this.bytes;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      base -= this.carry.length;
      this.carry = null;
    }
    this.bytes += chunk.length;
    let pos = 0;
    while (pos < buf.length) {
      if (this.inCopy) {
        const joined = Buffer.concat([this.copyTail, buf.subarray(pos, Math.min(buf.length, pos + 4))]);
        const early = joined.indexOf(COPY_END);
        if (early >= 0) {
          pos += early + 4 - this.copyTail.length;
          this.inCopy = false;
          continue;
        }
        const hit = buf.indexOf(COPY_END, pos);
        if (hit >= 0) {
          pos = hit + 4;
          this.inCopy = false;
          continue;
        }
        const kept = Buffer.concat([this.copyTail, buf.subarray(Math.max(pos, buf.length - 3))]);
        this.copyTail = Buffer.from(kept.subarray(Math.max(0, kept.length - 3)));
        return;
      }
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) {
        this.carry = Buffer.from(buf.subarray(pos));
        return;
      }
      this.line(buf, pos, nl, base + pos);
      pos = nl + 1;
    }
  }

  finish(): void {
    if (this.carry && !this.inCopy) this.line(this.carry, 0, this.carry.length, this.bytes - this.carry.length);
    this.carry = null;
    this.close(this.trailerAt >= 0 ? this.trailerAt : this.bytes);
    if (this.globalsEnd < 0) this.globalsEnd = this.trailerAt >= 0 ? this.trailerAt : this.bytes;
  }

  private line(buf: Buffer, start: number, end: number, at: number): void {
    const first = buf[start];
    if (first === 0x2d && buf[start + 1] === 0x2d) {
      if (end - start === 2) {
        this.lastDash = at;
        return;
      }
      const text = buf.toString('utf8', start, end);
      const blockStart = this.lastDash === at - 3 ? this.lastDash : at;
      const m = DATABASE_BLOCK.exec(text);
      if (m) {
        this.blocks = true;
        this.open(m[1]!, blockStart);
      } else if (text === '-- Databases' && !this.sawDatabasesHeader) {
        this.sawDatabasesHeader = true;
        if (this.globalsEnd < 0) this.globalsEnd = blockStart;
      } else if (text === TRAILER) {
        this.trailerAt = blockStart;
      }
      return;
    }
    if (first === 0x5c && !this.blocks) {
      // pg_dumpall 10 and older: each database starts at its \connect.
      const text = buf.toString('utf8', start, end);
      const db = connectTarget(text);
      if (db !== null && this.sawStatement) this.open(db, at);
      return;
    }
    if (first === 0x43 && end - start > 16 && buf.toString('latin1', start, start + 5) === 'COPY ' && buf.toString('latin1', end - 11, end) === 'FROM stdin;') {
      this.inCopy = true;
      this.copyTail = Buffer.from('\n');
    }
    if (end > start) this.sawStatement = true;
  }

  private open(database: string, at: number): void {
    if (this.globalsEnd < 0) this.globalsEnd = at;
    this.close(at);
    this.databases.push({ database, offset: at, length: 0 });
  }

  private close(end: number): void {
    const last = this.databases.at(-1);
    if (last && last.length === 0) last.length = Math.max(0, end - last.offset);
  }
}

/** The database of a `\connect` line (`\connect x`, `\connect -reuse-previous=on "dbname='x'"`), or null. */
export function connectTarget(line: string): string | null {
  const m = /^\\(?:connect|c)\s+(.*)$/.exec(line.trim());
  if (!m) return null;
  let rest = m[1]!.trim();
  if (rest.startsWith('-reuse-previous=')) rest = rest.replace(/^-reuse-previous=\S+\s+/, '');
  const quoted = /^"((?:[^"]|"")*)"/.exec(rest);
  const word = quoted ? quoted[1]!.replace(/""/g, '"') : (rest.split(/\s+/)[0] ?? '');
  const conninfo = /dbname='((?:[^'\\]|\\.)*)'/.exec(word);
  if (conninfo) return conninfo[1]!.replace(/\\(.)/g, '$1');
  return word === '' || word === '-' ? null : word;
}

/** Reads a pg_dumpall script's parts and its globals' statements. */
export async function readClusterDump(path: string, options: IndexOptions = {}): Promise<ClusterIndex> {
  const detected = await detectDump(path);
  if (detected.kind !== 'cluster' && detected.kind !== 'globals') {
    throw new DumpError('usage', `${basename(path)} is not a pg_dumpall script (it is a ${detected.kind === 'plain' ? 'plain SQL dump of one database' : `${detected.kind} archive`})`);
  }
  const scanner = new ClusterScanner();
  let reported = 0;
  for await (const chunk of scanChunks(path, detected.compression)) {
    if (options.signal?.aborted) throw new DumpError('usage', 'reading the cluster dump was cancelled');
    scanner.push(chunk);
    if (options.onProgress && scanner.bytes - reported >= 1 << 24) {
      reported = scanner.bytes;
      options.onProgress(scanner.bytes);
    }
  }
  scanner.finish();
  const globalsLength = scanner.globalsEnd;
  const [text] = await readRangeTexts(path, detected.compression, [{ offset: 0, length: globalsLength }], 'utf8');
  const statements = globalStatements(text ?? '');
  const restrict = statements.find((s) => s.kind === 'meta' && s.text.startsWith('\\restrict '));
  return {
    path,
    compression: detected.compression,
    kind: scanner.databases.length > 0 ? 'cluster' : 'globals',
    size: scanner.bytes,
    restrictKey: restrict ? restrict.text.slice('\\restrict '.length).trim() : null,
    globals: { offset: 0, length: globalsLength, statements },
    roles: statements.filter((s) => s.kind === 'create-role').map((s) => s.role!),
    tablespaces: statements.filter((s) => s.kind === 'tablespace' && /^CREATE\s/i.test(s.text)).map((s) => s.tablespace!),
    databases: scanner.databases,
    complete: scanner.trailerAt >= 0,
  };
}

/** The statements of the globals, each classified. */
export function globalStatements(text: string): GlobalStatement[] {
  return splitStatements(text, tokenize(text)).map((st) => classify(st.tokens, text.slice(st.start, st.end)));
}

function classify(t: Token[], text: string): GlobalStatement {
  const name = (k: number) => (isName(t[k]) ? nameOf(t[k]!) : undefined);
  const w = (k: number, word: string) => isWord(t[k], word);
  const with_ = (fields: Omit<GlobalStatement, 'text'>): GlobalStatement => ({ ...fields, text });
  if (t[0]?.kind === 'meta') return with_({ kind: 'meta' });
  if (w(0, 'SET') || w(0, 'RESET') || (w(0, 'SELECT') && /set_config/.test(text))) return with_({ kind: 'setting' });
  if (w(0, 'CREATE') && w(1, 'ROLE')) return with_({ kind: 'create-role', role: name(2)! });
  if (w(0, 'CREATE') && w(1, 'USER')) return with_({ kind: 'create-role', role: name(2)! });
  if (w(0, 'ALTER') && (w(1, 'ROLE') || w(1, 'USER'))) {
    const role = name(2)!;
    const set = t.findIndex((x, k) => k > 2 && (isWord(x, 'SET') || isWord(x, 'RESET')));
    const inDb = t.findIndex((x, k) => isWord(x, 'IN') && isWord(t[k + 1], 'DATABASE'));
    if (set > 0) {
      const database = inDb > 0 ? name(inDb + 2) : undefined;
      return with_({ kind: 'role-setting', role, ...(database !== undefined ? { database } : {}) });
    }
    return with_({ kind: 'alter-role', role });
  }
  if ((w(0, 'COMMENT') && w(1, 'ON') && w(2, 'ROLE')) || w(0, 'SECURITY')) {
    const on = t.findIndex((x, k) => isWord(x, 'ON') && isWord(t[k + 1], 'ROLE'));
    if (on >= 0) return with_({ kind: 'role-comment', role: name(on + 2)! });
  }
  if (t.some((x, k) => isWord(x, 'TABLESPACE') && k <= 4)) {
    const k = t.findIndex((x) => isWord(x, 'TABLESPACE'));
    return with_({ kind: 'tablespace', tablespace: name(k + 1)! });
  }
  if (w(0, 'GRANT') && !t.some((x) => isWord(x, 'ON'))) {
    // GRANT role [, …] TO member [, …] [WITH … OPTION] [GRANTED BY grantor]; pg_dumpall writes one of each.
    const to = t.findIndex((x) => isWord(x, 'TO'));
    const by = t.findIndex((x, k) => isWord(x, 'GRANTED') && isWord(t[k + 1], 'BY'));
    const grantor = by >= 0 ? name(by + 2) : undefined;
    return with_({ kind: 'membership', role: name(1)!, member: name(to + 1)!, ...(grantor !== undefined ? { grantor } : {}) });
  }
  return with_({ kind: 'other' });
}

/** The index of one database of the script (byte range of the file; offsets of the whole file). */
export async function indexClusterDatabase(cluster: ClusterIndex, part: ClusterPart, options: IndexOptions = {}): Promise<PlainIndex> {
  const index = await indexFile(cluster.path, cluster.compression, options, part);
  return { ...index, database: part.database };
}

/** A pg_dumpall script read whole: its parts and the index of each of its databases (in their order). */
export interface IndexedCluster {
  cluster: ClusterIndex;
  databases: PlainIndex[];
}

/**
 * Reads a script's parts, then indexes each database (progress counts the bytes of both passes).
 * In a worker thread for the extension (indexInWorker.ts): it is a pass over the whole file.
 */
export async function indexCluster(path: string, options: IndexOptions = {}): Promise<IndexedCluster> {
  const cluster = await readClusterDump(path, options);
  const databases: PlainIndex[] = [];
  let done = cluster.size;
  for (const part of cluster.databases) {
    const base = done;
    databases.push(await indexClusterDatabase(cluster, part, { ...options, ...(options.onProgress ? { onProgress: (bytes: number) => options.onProgress!(base + bytes - part.offset) } : {}) }));
    done += part.length;
  }
  return { cluster, databases };
}

/** One database of the script, opened as a plain dump. */
export async function openClusterDatabase(cluster: ClusterIndex, database: string, options: IndexOptions = {}): Promise<OpenedArchive<PlainArchive>> {
  const part = cluster.databases.find((p) => p.database === database);
  if (!part) {
    throw new DumpError('usage', `${basename(cluster.path)} holds no database ${JSON.stringify(database)}; it holds ${cluster.databases.map((p) => p.database).join(', ') || 'none (a globals-only script)'}`);
  }
  return openPlainDump(cluster.path, { index: await indexClusterDatabase(cluster, part, options) });
}
