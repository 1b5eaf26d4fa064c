import type { PickState, Picks } from '../plan/picks';
import { formatBytes, formatCount as count } from '../units';
import { summarizeArchive } from './summary';
import type { DumpOutline, OutlineFilter, OutlineNode } from './outline';
import type { Archive } from './types';

/**
 * What the tree writes beside each node of a dump's outline: its check-box state, taken from the
 * picks (and the filter: ticking a filtered node picks only what the filter shows, so "all" means
 * all that is shown), and a short description: data size, what kind an object is, how much of a
 * node is picked ("3 of 10 picked": there is no "mixed" check-box).
 */

/** Parts that partLabel names by what they are. */
const LABELLED_PARTS = new Set(['TABLE DATA', 'ACL', 'COMMENT', 'SECURITY LABEL', 'DEFAULT', 'SEQUENCE SET', 'SEQUENCE OWNED BY', 'ROW SECURITY', 'TABLE ATTACH', 'INDEX ATTACH', 'STATISTICS DATA', 'MATERIALIZED VIEW DATA']);
const PART_KINDS: Record<string, string> = { 'FK CONSTRAINT': 'foreign key', 'CHECK CONSTRAINT': 'check constraint', STATISTICS: 'extended statistics' };


/** Picked and pickable leaves under a node, counting only what the filter shows. */
export function pickedUnder(node: OutlineNode, picks: Picks, filter?: OutlineFilter): { picked: number; size: number } {
  if (!filter || node.start === node.end) return { picked: picks.countIn(node), size: picks.sizeOf(node) };
  let picked = 0;
  let size = 0;
  for (let leaf = node.start; leaf < node.end; leaf++) {
    if (!filter.showsLeaf(leaf)) continue;
    size++;
    if (picks.isPicked(leaf)) picked++;
  }
  return { picked, size };
}

/** The check-box state of a node; undefined for nodes that have no check-box (parts, empty groups). */
export function nodePickState(node: OutlineNode, picks: Picks, filter?: OutlineFilter): PickState | undefined {
  if (node.kind === 'part') return undefined;
  const { picked, size } = pickedUnder(node, picks, filter);
  if (size === 0) return undefined;
  return picked === 0 ? 'none' : picked === size ? 'all' : 'some';
}

/** The description of a node: `TABLE · 1.2 MB · 3 of 10 picked`, parts of it left out where they say nothing. */
export function nodeDescription(node: OutlineNode, picks: Picks, filter?: OutlineFilter): string {
  const parts: string[] = [];
  const { picked, size } = node.kind === 'part' ? { picked: 0, size: 0 } : pickedUnder(node, picks, filter);
  switch (node.kind) {
    case 'schema':
    case 'range':
      if (node.kind === 'schema' && node.start === node.end) parts.push('empty');
      break;
    case 'group':
      parts.push(count(filter ? filter.shownIn(node) : node.end - node.start));
      break;
    case 'object': {
      const kinds = node.kind === 'object' && (node.desc ?? '') !== '' ? node.desc!.toLowerCase() : '';
      if (kinds && !(node.desc === 'TABLE' || node.desc === 'FOREIGN TABLE' || node.desc === 'VIEW' || node.desc === 'SEQUENCE' || node.desc === 'MATERIALIZED VIEW' || node.desc === 'EXTENSION')) parts.push(kinds);
      if (node.end - node.start > 1) parts.push(`partitioned, ${count(node.end - node.start - 1)} partition${node.end - node.start - 1 === 1 ? '' : 's'}`);
      break;
    }
    case 'part':
      // Parts whose label already says what they are (rows, privileges, comment…) need no kind.
      if (!LABELLED_PARTS.has(node.desc ?? '')) parts.push(PART_KINDS[node.desc ?? ''] ?? (node.desc ?? '').toLowerCase());
      break;
  }
  const sized = node.kind === 'group' || node.kind === 'range' || node.kind === 'schema' || (node.desc ?? '').includes('TABLE') || node.desc === 'MATERIALIZED VIEW' || node.desc === 'BLOBS';
  if (sized && node.dataBytes > 0) parts.push(formatBytes(node.dataBytes));
  if (picked > 0 && picked < size) parts.push(`${count(picked)} of ${count(size)} picked`);
  else if (picked > 0 && size > 1) parts.push(`all ${count(size)} picked`);
  return parts.join(' · ');
}

/** The description of a dump's root: `custom · 74 entries · 3 picked`. */
export function dumpDescription(archive: Archive, picks: Picks, filter?: OutlineFilter): string {
  const parts = [archive.format, `${count(archive.entries.length)} entries`];
  if (picks.count > 0) parts.push(`${count(picks.count)} picked`);
  if (filter) parts.push(`${count(filter.matchCount)} match "${filter.pattern}"`);
  return parts.join(' · ');
}

/** The facts of an archive, one per line, for a tooltip: the summary editor's, shorter. */
export function archiveFacts(archive: Archive, outline: DumpOutline): string[] {
  const s = summarizeArchive(archive);
  const total = outline.roots.reduce((sum, r) => sum + r.dataBytes, 0);
  return [
    archive.path,
    `Format: ${s.formatText}, ${archive.format === 'plain' ? 'no archive version' : `archive version ${s.archiveVersion}`}, compression ${s.compression}`,
    `Database: ${s.database ?? '(unknown)'}`,
    `Dumped from PostgreSQL ${s.serverVersion ?? '(unknown)'} by pg_dump ${s.pgDumpVersion ?? '(unknown)'}`,
    ...(archive.format === 'plain' ? [] : [`Created: ${s.created} (the dump host's clock)`]),
    `${count(archive.entries.length)} ${archive.format === 'plain' ? 'sections' : 'TOC entries'}; ${count(outline.leafCount)} objects; ${formatBytes(total)} of stored data`,
    ...(archive.dataProblems.length > 0 ? [`${count(archive.dataProblems.length)} entries with missing or incomplete data: the dump may have been cut short`] : []),
  ];
}
