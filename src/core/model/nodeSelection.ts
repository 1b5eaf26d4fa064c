import type { Selection } from '../plan/selection';
import type { DumpOutline, OutlineNode } from './outline';

/**
 * What a node of the outline stands for as a selection, the same as ticking it would pick: every
 * object (leaf) it covers, a partitioned table's partitions included, and a schema's own SCHEMA
 * entry; a part on its own, with what belongs to it (a sequence's value, an index's comment…).
 */
export function nodeSelection(outline: DumpOutline, node: OutlineNode | undefined): Selection {
  if (!node) {
    // The whole dump: every object and every schema.
    const objects: number[] = [];
    for (let leaf = 0; leaf < outline.leafCount; leaf++) objects.push(outline.entryOfLeaf(leaf).dumpId);
    for (const root of outline.roots) if (root.kind === 'schema' && root.dumpId !== undefined) objects.push(root.dumpId);
    return { objects };
  }
  if (node.kind === 'part') return { objects: node.dumpId !== undefined ? [node.dumpId] : [] };
  const objects: number[] = [];
  for (let leaf = node.start; leaf < node.end; leaf++) objects.push(outline.entryOfLeaf(leaf).dumpId);
  if (node.kind === 'schema' && node.dumpId !== undefined) objects.push(node.dumpId);
  return { objects };
}
