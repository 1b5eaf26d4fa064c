import type { Archive, TocEntry } from '../model/types';

/**
 * An index over an archive's TOC for walking dependencies both ways: an entry by its dumpId,
 * the entries it depends on, and the entries that depend on it. Dependency IDs that name no
 * entry (section boundaries, objects left out of a partial dump) are dropped, as pg_restore
 * drops them; an ID listed twice (pg_dump writes some twice) counts once.
 *
 * Built once per archive, in a few typed arrays: a TOC of 90,000 entries makes no object per
 * dependency until one is asked for.
 */
export interface TocIndex {
  readonly archive: Archive;
  /** The entries in archive (TOC) order. */
  readonly entries: readonly TocEntry[];
  byId(dumpId: number): TocEntry | undefined;
  /** Position of an entry in archive order; -1 when the dumpId names no entry. */
  position(dumpId: number): number;
  /** The entry's `desc`, decoded once; '' when NULL or when the dumpId names no entry. */
  desc(dumpId: number): string;
  /** The entries `entry` depends on, in the order its dependency list names them. */
  dependencies(entry: TocEntry): readonly TocEntry[];
  /** The entries that depend on the entry with this dumpId, in archive order. */
  dependents(dumpId: number): readonly TocEntry[];
}

const NONE: readonly TocEntry[] = Object.freeze([]);

const cache = new WeakMap<Archive, TocIndex>();

/** The index of an archive, built on first use and kept while the archive lives. */
export function tocIndex(archive: Archive): TocIndex {
  let index = cache.get(archive);
  if (!index) {
    index = buildIndex(archive);
    cache.set(archive, index);
  }
  return index;
}

/** Every entry's dependency IDs: from the TOC's columns when they are there, else from the entries. */
function dependencyLists(archive: Archive, entries: readonly TocEntry[]): (i: number, visit: (id: number) => void) => void {
  const t = archive.table as Partial<typeof archive.table> | undefined;
  if (t && t.count === entries.length && t.deps && t.depStart && t.depCount && t.dumpId) {
    const { deps, depStart, depCount } = t;
    return (i, visit) => {
      const start = depStart[i]!;
      for (let k = start, end = start + depCount[i]!; k < end; k++) visit(deps[k]!);
    };
  }
  return (i, visit) => entries[i]!.dependencies.forEach(visit);
}

function buildIndex(archive: Archive): TocIndex {
  const entries = archive.entries;
  const n = entries.length;
  const ids = new Int32Array(n);
  let maxId = 0;
  for (let i = 0; i < n; i++) {
    const id = entries[i]!.dumpId;
    ids[i] = id;
    if (id > maxId) maxId = id;
  }
  // dumpId → position: an array when the IDs are dense enough (pg_dump numbers from 1), else a Map.
  let positionOf: (id: number) => number;
  if (maxId <= 4 * n + 4096) {
    const table = new Int32Array(maxId + 1).fill(-1);
    for (let i = 0; i < n; i++) if (ids[i]! >= 0) table[ids[i]!] = i;
    positionOf = (id) => (Number.isInteger(id) && id >= 0 && id <= maxId ? table[id]! : -1);
  } else {
    const map = new Map<number, number>();
    for (let i = 0; i < n; i++) map.set(ids[i]!, i);
    positionOf = (id) => map.get(id) ?? -1;
  }

  // Forward edges as positions, one run per entry (CSR); then the reverse edges the same way.
  const each = dependencyLists(archive, entries);
  const fStart = new Int32Array(n + 1);
  let fPos = new Int32Array(Math.max(16, n * 2));
  let used = 0;
  for (let i = 0; i < n; i++) {
    fStart[i] = used;
    const self = ids[i]!;
    each(i, (id) => {
      if (id === self) return;
      const at = positionOf(id);
      if (at < 0) return;
      for (let k = fStart[i]!; k < used; k++) if (fPos[k] === at) return;
      if (used === fPos.length) {
        const grown = new Int32Array(fPos.length * 2);
        grown.set(fPos);
        fPos = grown;
      }
      fPos[used++] = at;
    });
  }
  fStart[n] = used;
  const rStart = new Int32Array(n + 1);
  for (let k = 0; k < used; k++) rStart[fPos[k]! + 1] = rStart[fPos[k]! + 1]! + 1;
  for (let i = 0; i < n; i++) rStart[i + 1] = rStart[i + 1]! + rStart[i]!;
  const rPos = new Int32Array(used);
  const fill = rStart.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let k = fStart[i]!; k < fStart[i + 1]!; k++) {
      const target = fPos[k]!;
      rPos[fill[target]!] = i;
      fill[target] = fill[target]! + 1;
    }
  }

  const descs: (string | undefined)[] = new Array(n);
  const forward: (readonly TocEntry[] | undefined)[] = new Array(n);
  const reverse: (readonly TocEntry[] | undefined)[] = new Array(n);
  const run = (pos: Int32Array, from: number, to: number): readonly TocEntry[] => {
    if (from === to) return NONE;
    const out: TocEntry[] = new Array(to - from);
    for (let k = from; k < to; k++) out[k - from] = entries[pos[k]!]!;
    return out;
  };

  return {
    archive,
    entries,
    byId: (id) => {
      const at = positionOf(id);
      return at < 0 ? undefined : entries[at];
    },
    position: positionOf,
    desc: (id) => {
      const at = positionOf(id);
      if (at < 0) return '';
      return (descs[at] ??= entries[at]!.desc ?? '');
    },
    dependencies: (e) => {
      const at = positionOf(e.dumpId);
      if (at < 0) return NONE;
      return (forward[at] ??= run(fPos, fStart[at]!, fStart[at + 1]!));
    },
    dependents: (id) => {
      const at = positionOf(id);
      if (at < 0) return NONE;
      return (reverse[at] ??= run(rPos, rStart[at]!, rStart[at + 1]!));
    },
  };
}
