import type { Archive } from '../model/types';
import { formatCount, plural } from '../units';
import { buildPlan } from './closure';
import type { Selection } from './selection';

/**
 * What the picked objects come to as a restore: how many entries the plan takes, how many of
 * those come with the objects (their rows, indexes, constraints…), how many entries outside the
 * plan it needs, and how many more planning those too (with dependencies) would take. The tree
 * shows it as one line while the user ticks.
 */
export interface PickSummary {
  /** Objects picked. */
  picked: number;
  /** Entries the plan restores. */
  planned: number;
  /** Of those, the ones that come with a picked object (part of it), not picked themselves. */
  comeWith: number;
  /** What comes with them, most first: `rows`, `indexes`… */
  comeWithKinds: { noun: string; count: number }[];
  /** Entries outside the plan that planned ones need. */
  needed: number;
  /** How many more entries planning what is needed would take (withDeps). */
  withDepsAdds: number;
}

/** Plural nouns of what comes with an object, by TOC kind. */
const PART_NOUNS: Record<string, string> = {
  'TABLE DATA': 'rows',
  INDEX: 'indexes',
  CONSTRAINT: 'constraints',
  'CHECK CONSTRAINT': 'constraints',
  'FK CONSTRAINT': 'foreign keys',
  TRIGGER: 'triggers',
  RULE: 'rules',
  POLICY: 'policies',
  'ROW SECURITY': 'row security',
  DEFAULT: 'defaults',
  COMMENT: 'comments',
  ACL: 'privileges',
  'SECURITY LABEL': 'security labels',
  SEQUENCE: 'sequences',
  'SEQUENCE SET': 'sequence values',
  'SEQUENCE OWNED BY': 'sequence ownership',
  'TABLE ATTACH': 'partition attachments',
  'INDEX ATTACH': 'index attachments',
  'STATISTICS DATA': 'statistics',
  STATISTICS: 'extended statistics',
  'MATERIALIZED VIEW DATA': 'refreshes',
  TABLE: 'partitions',
};

/** Ties in how many: in the order of PART_NOUNS (rows first). */
const NOUN_ORDER = [...new Set(Object.values(PART_NOUNS))];
const rank = (noun: string) => {
  const at = NOUN_ORDER.indexOf(noun);
  return at < 0 ? NOUN_ORDER.length : at;
};

export function summarizePicks(archive: Archive, selection: Selection, picked: number): PickSummary {
  const plan = buildPlan(archive, { ...selection, withDeps: false });
  const kinds = new Map<string, number>();
  let comeWith = 0;
  for (const p of plan.entries) {
    if (p.reason.kind !== 'part-of') continue;
    comeWith++;
    const noun = PART_NOUNS[p.entry.desc ?? ''] ?? (p.entry.desc ?? 'entries').toLowerCase();
    kinds.set(noun, (kinds.get(noun) ?? 0) + 1);
  }
  const needed = plan.needs.length;
  const withDepsAdds = plan.needs.length === 0 ? 0 : buildPlan(archive, { ...selection, withDeps: true }).entries.length - plan.entries.length;
  return {
    picked,
    planned: plan.entries.length,
    comeWith,
    comeWithKinds: [...kinds].map(([noun, count]) => ({ noun, count })).sort((a, b) => b.count - a.count || rank(a.noun) - rank(b.noun)),
    needed,
    withDepsAdds,
  };
}


/**
 * One line: `12 objects picked · restoring them takes 47 entries (35 come with them: rows,
 * indexes, …) · 2 needed from elsewhere (with dependencies: 5 more entries)`; `Nothing picked`.
 */
export function describePickSummary(s: PickSummary): string {
  if (s.picked === 0) return 'Nothing picked';
  const them = s.picked === 1 ? 'it' : 'them';
  const kinds = s.comeWithKinds.slice(0, 3).map((k) => k.noun);
  const list = kinds.length > 0 ? `: ${kinds.join(', ')}${s.comeWithKinds.length > 3 ? ', …' : ''}` : '';
  const parts = [`${plural(s.picked, 'object')} picked`, `restoring ${them} takes ${plural(s.planned, 'entry', 'entries')}${s.comeWith > 0 ? ` (${formatCount(s.comeWith)} ${s.comeWith === 1 ? 'comes' : 'come'} with ${them}${list})` : ''}`];
  if (s.needed > 0) parts.push(`${formatCount(s.needed)} needed from elsewhere${s.withDepsAdds > 0 ? ` (with dependencies: ${plural(s.withDepsAdds, 'more entry', 'more entries')})` : ''}`);
  return parts.join(' · ');
}
