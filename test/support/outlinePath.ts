import assert from 'node:assert/strict';
import type { DumpOutline, OutlineNode } from '../../src/core/model/outline';

/** The node of an outline reached by following labels from the roots (`'sales', 'Tables', 'order'`); fails the test when there is none. */
export function nodeAt(outline: DumpOutline, ...path: string[]): OutlineNode {
  let node: OutlineNode | undefined;
  for (const label of path) {
    node = outline.children(node).find((c) => c.label === label);
    assert.ok(node, `no node ${path.join(' → ')}`);
  }
  return node!;
}
