import { isListedByDefault } from '../model/listing';
import type { Archive, TocEntry } from '../model/types';
import { buildPlan, dependencyWhy, ownership } from './closure';
import { tocIndex } from './dependencies';
import type { Selection } from './selection';

/**
 * How what a selection restores is tied to the rest of the archive, for "Show Dependencies":
 * what it needs from outside (TOC dependencies of the entries it restores), what outside needs
 * it (entries that depend on one of them), and what comes with it (its parts). Entries the
 * listing hides (ENCODING, SEARCHPATH…) are left out, as the plan leaves them out.
 */
export interface Related {
  entry: TocEntry;
  /** What the entry is to the selection (or the selection to it), in words. */
  why: string;
}

export interface Relations {
  needs: Related[];
  neededBy: Related[];
  comesWith: Related[];
}

export function relationsOf(archive: Archive, selection: Selection): Relations {
  const index = tocIndex(archive);
  const own = ownership(archive);
  const plan = buildPlan(archive, { ...selection, withDeps: false });
  const planned = new Set(plan.entries.map((p) => p.entry.dumpId));
  const needs = plan.needs.map((n) => ({ entry: n.entry, why: whyOf(n.neededBy.map((b) => b.why)) }));
  const dependents = new Map<number, { entry: TocEntry; whys: string[] }>();
  for (const { entry } of plan.entries) {
    for (const d of index.dependents(entry.dumpId)) {
      if (planned.has(d.dumpId) || !isListedByDefault(d)) continue;
      let known = dependents.get(d.dumpId);
      if (!known) dependents.set(d.dumpId, (known = { entry: d, whys: [] }));
      const why = dependencyWhy(d, entry, own);
      known.whys.push(`${why}: ${(entry.desc ?? '').toLowerCase()} ${entry.tag ?? ''}`.trim());
    }
  }
  const byPosition = (a: Related, b: Related) => index.position(a.entry.dumpId) - index.position(b.entry.dumpId);
  const neededBy = [...dependents.values()].map((d) => ({ entry: d.entry, why: `needs it as ${whyOf(d.whys)}` })).sort(byPosition);
  const comesWith = plan.entries.filter((p) => p.reason.kind === 'part-of').map((p) => ({ entry: p.entry, why: p.reason.kind === 'part-of' ? p.reason.why : '' }));
  return { needs, neededBy, comesWith };
}

/** Several reasons as one: the distinct ones, joined. */
function whyOf(whys: string[]): string {
  return [...new Set(whys)].join('; ');
}
