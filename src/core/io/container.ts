import type { Readable } from 'node:stream';

/**
 * A set of named files that together hold one dump: a directory-format dump on disk, the
 * members of a tar file (a `pg_dump -Ft` archive, or a tarred directory dump), or the entries of
 * a zip file that wraps a directory dump. Names are relative to the dump's root (the folder
 * that holds `toc.dat`) and use `/`.
 */
export interface ContainerMember {
  name: string;
  /** Bytes of the member as stored (compressed size for a `.gz` file inside a directory). */
  size: number;
  /** True when the container ends before this member's declared size. */
  truncated: boolean;
}

export interface Container {
  readonly kind: 'directory' | 'tar' | 'zip';
  /** The file or folder the user opened. */
  readonly path: string;
  /** Members in stored order, junk (macOS `._*`, `__MACOSX/`) left out. */
  readonly members: readonly ContainerMember[];
  member(name: string): ContainerMember | undefined;
  /** The whole member in memory; for `toc.dat`, which must be read at once anyway. */
  readAll(name: string): Promise<Buffer>;
  /** The member's stored bytes as a stream (not decompressed). */
  openStream(name: string): Readable;
  close(): Promise<void>;
}
