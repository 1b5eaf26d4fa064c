import type { TocTable } from '../formats/archive/toc';
import { tocTableOf } from '../model/listing';
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

  // By position, for passes over the whole TOC (the outline, ownership): no entry objects.
  /** The desc of the entry at a position; '' when NULL. */
  descAt(position: number): string;
  /** The tag of the entry at a position, decoded once. */
  tagAt(position: number): string | null;
  /** The namespace of the entry at a position, decoded once. */
  namespaceAt(position: number): string | null;
  /** What each entry depends on, by position: the entry at p depends on positions[start[p]] up to positions[start[p + 1]]. */
  readonly dependencyRuns: { readonly start: Int32Array; readonly positions: Int32Array };
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

/** Every entry's dependency IDs, entry i's at `ids[start[i]]` on for `count[i]`: the columns of `t` (these entries' TOC table) when there is one, else from the entries. */
function dependencyLists(t: TocTable | undefined, entries: readonly TocEntry[]): { ids: Int32Array; start: Int32Array; count: Int32Array } {
  if (t) return { ids: t.deps, start: t.depStart, count: t.depCount };
  const lists = entries.map((e) => e.dependencies);
  const start = new Int32Array(entries.length);
  const count = new Int32Array(entries.length);
  const ids = new Int32Array(lists.reduce((sum, l) => sum + l.length, 0));
  let used = 0;
  lists.forEach((l, i) => {
    start[i] = used;
    count[i] = l.length;
    ids.set(l, used);
    used += l.length;
  });
  return { ids, start, count };
}

function buildIndex(archive: Archive): TocIndex {
  const entries = archive.entries;
  const n = entries.length;
  // The TOC table's columns when it is the table of these entries (an archive read from a file).
  const table = tocTableOf(archive);
  const t = table && table.count === n ? table : undefined;
  const ids = t ? t.dumpId.subarray(0, n) : Int32Array.from(entries, (e) => e.dumpId);
  let maxId = 0;
  for (let i = 0; i < n; i++) if (ids[i]! > maxId) maxId = ids[i]!;
  // dumpId → position: an array when the IDs are dense enough (pg_dump numbers from 1), else a Map.
  let positionOf: (id: number) => number;
  let dense: Int32Array | undefined;
  if (maxId <= 4 * n + 4096) {
    const table = (dense = new Int32Array(maxId + 1).fill(-1));
    for (let i = 0; i < n; i++) if (ids[i]! >= 0) table[ids[i]!] = i;
    positionOf = (id) => (Number.isInteger(id) && id >= 0 && id <= maxId ? table[id]! : -1);
  } else {
    const map = new Map<number, number>();
    for (let i = 0; i < n; i++) map.set(ids[i]!, i);
    positionOf = (id) => map.get(id) ?? -1;
  }

  // Forward edges as positions, one run per entry (CSR); then the reverse edges the same way.
  const lists = dependencyLists(t, entries);
  const fStart = new Int32Array(n + 1);
  let fPos = new Int32Array(Math.max(16, n * 2));
  let used = 0;
  for (let i = 0; i < n; i++) {
    fStart[i] = used;
    const self = ids[i]!;
    next: for (let j = lists.start[i]!, end = j + lists.count[i]!; j < end; j++) {
      const id = lists.ids[j]!;
      if (id === self) continue;
      const at = dense ? (id >= 0 && id <= maxId ? dense[id]! : -1) : positionOf(id);
      if (at < 0) continue;
      for (let k = fStart[i]!; k < used; k++) if (fPos[k] === at) continue next;
      if (used === fPos.length) {
        const grown = new Int32Array(fPos.length * 2);
        grown.set(fPos);
        fPos = grown;
      }
      fPos[used++] = at;
    }
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

  // Names by position: the desc of every entry at once (few distinct values, decoded once each
  // by the TOC table), tags and namespaces when first asked for.
  const descs: string[] = new Array(n);
  for (let i = 0; i < n; i++) descs[i] = t ? (t.descId[i]! < 0 ? '' : t.descOf(t.descId[i]!)) : (entries[i]!.desc ?? '');
  const tags: (string | null | undefined)[] = new Array(n);
  const namespaces: (string | null | undefined)[] = new Array(n);
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
      return at < 0 ? '' : descs[at]!;
    },
    descAt: (at) => descs[at]!,
    tagAt: (at) => {
      const known = tags[at];
      if (known !== undefined) return known;
      return (tags[at] = t ? t.get(at, 'tag') : entries[at]!.tag);
    },
    namespaceAt: (at) => {
      const known = namespaces[at];
      if (known !== undefined) return known;
      return (namespaces[at] = t ? t.get(at, 'namespace') : entries[at]!.namespace);
    },
    dependencyRuns: { start: fStart, positions: fPos },
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
