import { namePattern, type DumpOutline, type OutlineNode } from '../model/outline';
import type { RestoreMode, Selection } from './selection';

/**
 * What the user has picked in a dump's outline: one flag per leaf (object), so that picking a
 * schema of 10,000 tables, or asking how much of a node is picked, is a loop over one span of
 * flags and makes no node. The tree only shows this state; the restore plan is made from it
 * (toSelection).
 *
 * Picking a partitioned table picks its partitions (they are leaves under it); unpicking one
 * partition afterwards leaves the table picked without it, and the plan says the same. Parts of
 * an object (indexes, data, comments…) cannot be picked alone: they come with their object.
 */

export type PickState = 'all' | 'some' | 'none';

export interface SelectionOptions {
  mode?: RestoreMode;
  withDeps?: boolean;
  dropDanglingForeignKeys?: boolean;
}

export class Picks {
  private readonly flags: Uint8Array;
  /** Schemas picked whose outline holds no objects (only their SCHEMA entry). */
  private readonly emptySchemas = new Set<string>();
  private picked = 0;

  constructor(readonly outline: DumpOutline) {
    this.flags = new Uint8Array(outline.leafCount);
  }

  /** Number of picked objects (and picked empty schemas). */
  get count(): number {
    return this.picked + this.emptySchemas.size;
  }

  /** Picked leaves under a node; for an empty schema, 1 when it is picked. */
  countIn(node: OutlineNode): number {
    if (node.kind === 'part') return 0;
    if (node.start === node.end) return node.kind === 'schema' && this.emptySchemas.has(node.id) ? 1 : 0;
    let n = 0;
    for (let leaf = node.start; leaf < node.end; leaf++) n += this.flags[leaf]!;
    return n;
  }

  /** Leaves a node covers (1 for an empty schema, which can be picked as itself). */
  sizeOf(node: OutlineNode): number {
    if (node.kind === 'part') return 0;
    return node.start === node.end ? (node.kind === 'schema' && node.dumpId !== undefined ? 1 : 0) : node.end - node.start;
  }

  state(node: OutlineNode): PickState {
    const size = this.sizeOf(node);
    if (size === 0) return 'none';
    const n = this.countIn(node);
    return n === 0 ? 'none' : n === size ? 'all' : 'some';
  }

  /** Whether the leaf is picked. */
  isPicked(leaf: number): boolean {
    return this.flags[leaf] === 1;
  }

  /**
   * Picks (or unpicks) everything under a node; with `only`, just the leaves it accepts (what a
   * filter shows). Returns how many leaves changed. A part node changes nothing.
   */
  set(node: OutlineNode, picked: boolean, only?: (leaf: number) => boolean): number {
    if (node.kind === 'part') return 0;
    if (node.start === node.end) {
      if (node.kind !== 'schema' || node.dumpId === undefined) return 0;
      const had = this.emptySchemas.has(node.id);
      if (picked) this.emptySchemas.add(node.id);
      else this.emptySchemas.delete(node.id);
      return had === picked ? 0 : 1;
    }
    const value = picked ? 1 : 0;
    let changed = 0;
    for (let leaf = node.start; leaf < node.end; leaf++) {
      if (this.flags[leaf] === value || (only && !only(leaf))) continue;
      this.flags[leaf] = value;
      changed++;
    }
    this.picked += picked ? changed : -changed;
    return changed;
  }

  /** Picks every leaf `accepts` takes (e.g. tables whose name matches a pattern). Returns how many were added. */
  pickWhere(accepts: (leaf: number) => boolean): number {
    let changed = 0;
    for (let leaf = 0; leaf < this.flags.length; leaf++) {
      if (this.flags[leaf] === 1 || !accepts(leaf)) continue;
      this.flags[leaf] = 1;
      changed++;
    }
    this.picked += changed;
    return changed;
  }

  clear(): void {
    this.flags.fill(0);
    this.picked = 0;
    this.emptySchemas.clear();
  }

  /** The picked leaves, in tree order. */
  pickedLeaves(): number[] {
    const out: number[] = [];
    for (let leaf = 0; leaf < this.flags.length; leaf++) if (this.flags[leaf]) out.push(leaf);
    return out;
  }

  /**
   * The dumpIds the plan starts from: every picked object, and the SCHEMA entry of each schema
   * picked whole (all of its objects, or an empty schema picked as itself).
   */
  pickedDumpIds(): number[] {
    const ids = this.pickedLeaves().map((leaf) => this.outline.entryOfLeaf(leaf).dumpId);
    for (const node of this.outline.roots) {
      if (node.kind !== 'schema' || node.dumpId === undefined) continue;
      if (this.state(node) === 'all') ids.push(node.dumpId);
    }
    return ids;
  }

  /** Picks exactly these dumpIds (objects and SCHEMA entries), e.g. when a dump is opened again. */
  restore(dumpIds: readonly number[]): void {
    this.clear();
    const wanted = new Set(dumpIds);
    for (const node of this.outline.roots) {
      if (node.kind === 'schema' && node.dumpId !== undefined && node.start === node.end && wanted.has(node.dumpId)) this.emptySchemas.add(node.id);
    }
    for (const id of wanted) {
      const leaf = this.outline.leafOfEntry(id);
      if (leaf >= 0 && !this.flags[leaf]) {
        this.flags[leaf] = 1;
        this.picked++;
      }
    }
  }

  /** The selection a restore plan is made from (buildPlan). */
  toSelection(options: SelectionOptions = {}): Selection {
    return { objects: this.pickedDumpIds(), ...options };
  }
}

const TABLE_DESCS = new Set(['TABLE', 'FOREIGN TABLE']);

/**
 * Picks every table whose name matches a pattern (psql-style, see namePattern), as ticking it
 * would: a partitioned table with its partitions. Returns how many tables matched and how many
 * objects were not picked before.
 */
export function pickTablesMatching(picks: Picks, pattern: string): { matched: number; added: number } {
  const outline = picks.outline;
  const test = namePattern(pattern);
  let matched = 0;
  let added = 0;
  for (let leaf = 0; leaf < outline.leafCount; leaf++) {
    if (!TABLE_DESCS.has(outline.descOfLeaf(leaf)) || !test(outline.qualifiedNameOfLeaf(leaf), outline.nameOfLeaf(leaf))) continue;
    matched++;
    added += picks.set(outline.objectNode(leaf), true);
  }
  return { matched, added };
}
