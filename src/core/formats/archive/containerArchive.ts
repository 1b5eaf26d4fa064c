import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DumpError } from '../../errors';
import type { Container, ContainerMember } from '../../io/container';
import type { DataProblem, TocArchive, TocEntry } from '../../model/types';
import { createDecompressor, type StreamCompression } from '../compression';
import { ByteReader } from './byteReader';
import { collect } from './customArchive';
import { archiveOf, type LargeObject, type OpenedArchive } from './openedArchive';
import { attachSource, FORMAT_DIRECTORY, FORMAT_TAR, readHeader, readToc, type TocListener, versionNumber } from './toc';

/** Suffixes pg_restore tries after the plain name, and the stream each one holds. */
const SUFFIXES: readonly [string, StreamCompression][] = [
  ['', 'none'],
  ['.gz', 'gzip'],
  ['.lz4', 'lz4'],
  ['.zst', 'zstd'],
];

/**
 * A directory-format dump, or a `pg_dump -Ft` tar archive, read through a Container: `toc.dat`
 * holds the header and TOC (format byte 3), and each data entry names its own file or member.
 */
export async function openContainerArchive(
  container: Container,
  format: 'directory' | 'tar',
  label: string,
  listener: TocListener | null = null,
): Promise<OpenedArchive<TocArchive>> {
  const toc = findCompressed(container, 'toc.dat');
  if (!toc) throw new DumpError('not-a-dump', `${label} holds no toc.dat: not a directory-format dump`);
  const tocLabel = `${label}/${toc.member.name}`;
  if (toc.member.truncated) throw new DumpError('truncated', `${tocLabel} is cut short: the file ends inside it`);
  let bytes = await container.readAll(toc.member.name);
  if (toc.compression !== 'none') bytes = await collect(Readable.from([bytes]).pipe(createDecompressor(toc.compression, tocLabel)));

  const r = ByteReader.fromBuffer(tocLabel, bytes);
  const header = readHeader(r, tocLabel);
  if (header.formatByte !== FORMAT_TAR && header.formatByte !== FORMAT_DIRECTORY) {
    throw new DumpError('corrupt', `${tocLabel}: format byte ${header.formatByte}; a toc.dat has 3 (or 5)`);
  }
  const table = readToc(r, header, tocLabel, false, listener);
  attachSource(table);
  const dataProblems = await indexMemberData(container, table.entries, versionNumber(header.version), label);
  const archive = archiveOf({
    path: container.path,
    format,
    container: container.kind,
    header,
    table,
    dataProblems,
  });
  return new ContainerArchive(archive, container, label);
}

function findCompressed(container: Container, name: string): { member: ContainerMember; compression: StreamCompression } | undefined {
  for (const [suffix, compression] of SUFFIXES) {
    const member = container.member(name + suffix);
    if (member) return { member, compression };
  }
  return undefined;
}

/**
 * Large objects are not in the file a BLOBS entry names: each is `blob_<oid>.dat`, listed in a
 * small text file, `blobs_<dumpId>.toc` from 1.16 on and `blobs.toc` before (whose stored name
 * pg_restore ignores as unreliable).
 */
function blobsTocName(archiveVersion: number, entry: TocEntry): string {
  return archiveVersion >= versionNumber({ major: 1, minor: 16, rev: 0 }) ? `blobs_${entry.dumpId}.toc` : 'blobs.toc';
}

/** `<oid> <file>` lines of a blobs TOC. */
function parseBlobsToc(text: string): { oid: number; file: string }[] {
  const out: { oid: number; file: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\S+)$/.exec(line.trim());
    if (m) out.push({ oid: Number(m[1]), file: m[2]! });
  }
  return out;
}

async function indexMemberData(container: Container, entries: TocEntry[], archiveVersion: number, label: string): Promise<DataProblem[]> {
  const problems: DataProblem[] = [];
  for (const e of entries) {
    if (e.desc === 'BLOBS' && e.hadDumper) {
      const tocName = blobsTocName(archiveVersion, e);
      const toc = findCompressed(container, tocName);
      if (!toc || toc.member.truncated) {
        problems.push({ dumpId: e.dumpId, problem: toc ? 'incomplete' : 'missing', detail: `${label} has ${toc ? 'a cut-short' : 'no'} ${tocName}` });
        continue;
      }
      let size = toc.member.size;
      const list = await container.readAll(toc.member.name);
      for (const { file } of parseBlobsToc((toc.compression === 'none' ? list : await collect(Readable.from([list]).pipe(createDecompressor(toc.compression, tocName)))).toString('utf8'))) {
        const blob = findCompressed(container, file);
        if (!blob) problems.push({ dumpId: e.dumpId, problem: 'missing', detail: `${label} has no ${file}` });
        else if (blob.member.truncated) problems.push({ dumpId: e.dumpId, problem: 'incomplete', detail: `${blob.member.name} is cut short` });
        else size += blob.member.size;
      }
      e.dataSize = size;
      continue;
    }
    if (e.data?.kind !== 'file') continue;
    const found = findCompressed(container, e.data.name);
    if (!found) {
      if (e.hadDumper) problems.push({ dumpId: e.dumpId, problem: 'missing', detail: `${label} has no ${e.data.name} (nor .gz, .lz4, .zst)` });
      continue;
    }
    e.dataSize = found.member.size;
    if (found.member.truncated) problems.push({ dumpId: e.dumpId, problem: 'incomplete', detail: `${found.member.name} is cut short` });
  }
  return problems;
}

/**
 * The stored members pg_restore reads to restore `entries` of a directory dump: the TOC, each
 * entry's data file as the container holds it (`1234.dat.gz`), and for a BLOBS entry its list of
 * large objects and their files. In stored order; members that are missing are left out (the
 * restore then fails on them as it would from the folder, and the summary names them already).
 */
export async function membersToRestore(container: Container, archive: TocArchive, entries: readonly TocEntry[]): Promise<ContainerMember[]> {
  const names = new Set<string>();
  const toc = findCompressed(container, 'toc.dat');
  if (toc) names.add(toc.member.name);
  const version = versionNumber(archive.header.version);
  for (const e of entries) {
    if (e.desc === 'BLOBS' && e.hadDumper) {
      const list = findCompressed(container, blobsTocName(version, e));
      if (!list) continue;
      names.add(list.member.name);
      const bytes = await container.readAll(list.member.name);
      const text = (list.compression === 'none' ? bytes : await collect(Readable.from([bytes]).pipe(createDecompressor(list.compression, list.member.name)))).toString('utf8');
      for (const { file } of parseBlobsToc(text)) {
        const blob = findCompressed(container, file);
        if (blob) names.add(blob.member.name);
      }
    } else if (e.data?.kind === 'file') {
      const data = findCompressed(container, e.data.name);
      if (data) names.add(data.member.name);
    }
  }
  return container.members.filter((m) => names.has(m.name));
}

class ContainerArchive implements OpenedArchive<TocArchive> {
  constructor(
    readonly archive: TocArchive,
    readonly container: Container,
    private readonly label: string,
  ) {}

  /** One member, decompressed by its suffix. */
  private openMember(name: string, what: string): Readable {
    const found = findCompressed(this.container, name);
    if (!found) throw new DumpError('missing-data', `${what}: ${this.label} has no ${name} (nor .gz, .lz4, .zst)`);
    const label = `${what} (${found.member.name})`;
    const out = new PassThrough();
    const source = this.container.openStream(found.member.name);
    pipeline(source, createDecompressor(found.compression, label), out).catch((err: unknown) => {
      const error =
        err instanceof DumpError ? err : new DumpError('corrupt', `${label} could not be read: ${(err as Error).message}`, { cause: err });
      out.destroy(error);
    });
    if (found.member.truncated) {
      out.destroy(new DumpError('truncated', `${label} is cut short: the archive ends inside it`));
    }
    return out;
  }

  openData(entry: TocEntry): Readable {
    if (entry.data?.kind !== 'file') {
      throw new DumpError('missing-data', `${this.label}: entry ${entry.dumpId} (${entry.desc} ${entry.tag}) has no data file`);
    }
    const what = `data of TOC entry ${entry.dumpId} (${entry.desc} ${entry.namespace ?? '-'}.${entry.tag}) in ${this.label}`;
    return this.openMember(entry.data.name, what);
  }

  async *largeObjects(entry: TocEntry): AsyncGenerator<LargeObject> {
    const tocName = blobsTocName(versionNumber(this.archive.header.version), entry);
    const list = (await collect(this.openMember(tocName, `large-object list of entry ${entry.dumpId}`))).toString('utf8');
    for (const { oid, file } of parseBlobsToc(list)) {
      yield { oid, data: await collect(this.openMember(file, `large object ${oid}`)) };
    }
  }

  close(): Promise<void> {
    return this.container.close();
  }
}
