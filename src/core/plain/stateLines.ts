/**
 * The setting statements pg_dump writes into a plain dump's session: the preamble
 * (`SET client_encoding = 'UTF8';`, `SELECT pg_catalog.set_config('search_path', '', false);`)
 * and, between sections, what the next section needs (`SET default_tablespace = '';`,
 * `SET default_table_access_method = heap;`, `SET SESSION AUTHORIZATION …` with
 * --use-set-session-authorization, `SET search_path = …` from pg_dump before 10.3).
 *
 * A section restored on its own must run under the settings in effect where it stands in the
 * dump; these helpers name what a statement sets, and say what changes from one set of
 * settings to the next.
 */

const SET_CONFIG = /^SELECT pg_catalog\.set_config\('((?:[^']|'')*)'/;
const SET_OR_RESET = /^(SET|RESET)\s+(?:SESSION\s+)?("(?:[^"]|"")*"|[A-Za-z_][\w.$]*)/i;

/** The setting a statement changes (lower case), or null when it is not a setting statement. */
export function stateKey(line: string): string | null {
  const config = SET_CONFIG.exec(line);
  if (config) return (config[1] ?? '').replace(/''/g, "'").toLowerCase();
  if (/^(SET|RESET)\s+SESSION\s+AUTHORIZATION\b/i.test(line)) return 'session authorization';
  const m = SET_OR_RESET.exec(line);
  if (!m) return null;
  const name = m[2] ?? '';
  if (/^(local|all)$/i.test(name)) return null;
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase();
}

/** The statement that undoes a setting. */
export function resetStatement(key: string): string {
  if (key === 'session authorization') return 'RESET SESSION AUTHORIZATION;';
  return /^[a-z_][a-z0-9_.$]*$/.test(key) ? `RESET ${key};` : `RESET "${key.replace(/"/g, '""')}";`;
}

/**
 * The statements that take a session from the settings `from` to `to` (each a list of setting
 * statements): changed and new settings in `to`'s order, then resets of what `to` lacks.
 */
export function settingsChange(from: readonly string[], to: readonly string[]): string[] {
  const before = new Map<string, string>();
  for (const line of from) {
    const key = stateKey(line);
    if (key !== null) before.set(key, line);
  }
  const out: string[] = [];
  const kept = new Set<string>();
  for (const line of to) {
    const key = stateKey(line);
    if (key === null) continue;
    kept.add(key);
    if (before.get(key) !== line) out.push(line);
  }
  for (const key of before.keys()) if (!kept.has(key)) out.push(resetStatement(key));
  return out;
}

/** Whether a setting statement makes the session act as another role (left out with --no-owner). */
export function switchesRole(line: string): boolean {
  return stateKey(line) === 'session authorization';
}

/** Whether a setting statement chooses a tablespace (left out with --no-tablespaces). */
export function choosesTablespace(line: string): boolean {
  return stateKey(line) === 'default_tablespace';
}
