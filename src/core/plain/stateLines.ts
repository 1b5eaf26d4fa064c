/**
 * The setting statements pg_dump writes into a plain dump's session: the preamble
 * (`SET client_encoding = 'UTF8';`, `SELECT pg_catalog.set_config('search_path', '', false);`)
 * and, between sections, what the next section needs (`SET default_tablespace = '';`,
 * `SET default_table_access_method = heap;`, `SET SESSION AUTHORIZATION …` with
 * --use-set-session-authorization, `SET search_path = …` from pg_dump before 10.3).
 *
 * A section restored on its own must run under the settings in effect where it stands in the
 * dump; these helpers name what a statement sets, say what changes from one set of settings to
 * the next, and leave out the settings of parameters an older target server lacks.
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

/** `SET [SESSION | LOCAL] name {= | TO} …` (a dotted name fails `=`/`TO` after its first part: not matched). */
const SET_PARAMETER = /^SET\s+(?:(?:SESSION|LOCAL)\s+)?("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*(?:=|TO\b)/i;
const RESET_PARAMETER = /^RESET\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*;/i;
const SET_CONFIG_PARAMETER = /^SELECT\s+(?:pg_catalog\s*\.\s*)?set_config\s*\(\s*'((?:[^']|'')*)'\s*,/i;

/**
 * Names that are not asked of the target: parameters pg_settings does not show although every
 * server has them (role, session_authorization, is_superuser, seed), and the words of
 * `RESET ALL`. SQL's own forms (SET ROLE x, SET SESSION AUTHORIZATION, SET TIME ZONE, SET NAMES,
 * SET SCHEMA, SET XML OPTION, SET TRANSACTION, SET CONSTRAINTS) have no `=` or `TO` after their
 * first word and are not matched at all.
 */
const NOT_ASKED = new Set(['role', 'session_authorization', 'is_superuser', 'seed', 'all']);

/**
 * The run-time parameter a setting statement sets or resets, in lower case (the server looks
 * names up regardless of case, quoted or not), or null: not a setting of a server parameter
 * (SET ROLE, SET SESSION AUTHORIZATION, SET TIME ZONE, a custom `ext.name`, …). Only statement
 * lines are given here — the preamble and the settings pg_dump writes before sections — never
 * the text of a section.
 */
export function settingParameter(line: string): string | null {
  const text = line.trim();
  let name: string | undefined;
  const config = SET_CONFIG_PARAMETER.exec(text);
  if (config) name = (config[1] ?? '').replace(/''/g, "'");
  else {
    const m = SET_PARAMETER.exec(text) ?? RESET_PARAMETER.exec(text);
    if (!m) return null;
    const raw = m[1] ?? '';
    name = raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw;
  }
  name = name.toLowerCase();
  // A dotted name is a custom (extension's) parameter: any server takes it as a placeholder.
  if (name === '' || name.includes('.') || NOT_ASKED.has(name)) return null;
  return name;
}

/**
 * `lines` (setting statements) without those of a parameter in `missing` (lower-case names the
 * target lacks); `leftOut` names those parameters, once each, in the order met.
 */
export function withoutMissingParameters(lines: readonly string[], missing: ReadonlySet<string>): { kept: string[]; leftOut: string[] } {
  const kept: string[] = [];
  const leftOut: string[] = [];
  for (const line of lines) {
    const parameter = missing.size > 0 ? settingParameter(line) : null;
    if (parameter === null || !missing.has(parameter)) kept.push(line);
    else if (!leftOut.includes(parameter)) leftOut.push(parameter);
  }
  return { kept, leftOut };
}
