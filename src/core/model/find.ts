import type { TocEntry } from './types';

/**
 * Finds entries by a user-written `schema.name`. Names may contain dots themselves, so every
 * split point is tried; a name without a schema matches in every schema (callers that need
 * one entry say so when several match).
 */
export function findByQualifiedName(entries: readonly TocEntry[], qualified: string, descs: readonly string[]): TocEntry[] {
  const wanted = entries.filter((e) => e.desc !== null && descs.includes(e.desc));
  for (let i = qualified.indexOf('.'); i >= 0; i = qualified.indexOf('.', i + 1)) {
    const schema = qualified.slice(0, i);
    const name = qualified.slice(i + 1);
    const hits = wanted.filter((e) => e.namespace === schema && e.tag === name);
    if (hits.length > 0) return hits;
  }
  return wanted.filter((e) => e.tag === qualified);
}
