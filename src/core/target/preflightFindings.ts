/**
 * The second half of the pre-flight check: from what the plan needs (preflightWanted.ts) and
 * what the target said (targetFacts.ts, targetObjects.ts), the findings — one line each, in
 * PostgreSQL users' words, saying what to do — and the report. No I/O here.
 */
import { escapeIdentifier } from 'pg';
import type { Archive, TocEntry } from '../model/types';
import type { RestorePlan } from '../plan/closure';
import { minimumMajorFor } from '../tools/findTools';
import type { Finding, FindingSeverity, PreflightOptions, PreflightReport, ProposedFix, TargetObjectRef, ExtensionStatus, UseExisting } from './preflightTypes';
import { ENTRY_OF_TABLE, TOLERANT_CREATE, type Wanted } from './preflightWanted';
import { isEmptyContents, type ActorFacts, type DatabaseContents, type ExtensionFacts, type RoleFacts, type SchemaFacts, type TableFacts } from './targetFacts';
import { foundKindName, isExpectedKind, kindName, objectName, objectsOf, refKey, type ObjectRef } from './targetObjects';
import { plural } from '../units';

/** What the target said. */
export interface Facts {
  where: string;
  serverVersion: string;
  serverVersionNum: number;
  /** The database does not exist; the facts come from the server's maintenance database. */
  databaseMissing: boolean;
  actor: ActorFacts;
  roles: Map<string, RoleFacts>;
  /** What the catalogs said for each ref, by refKey (absent: not found). */
  objects: Map<string, string>;
  schemas: Map<string, SchemaFacts>;
  extensions: Map<string, ExtensionFacts>;
  /** Parameters a plain dump's settings name that the server lacks. */
  missingParameters: string[];
  contents: DatabaseContents;
  /** By the TABLE entry's dumpId; rows: has rows, is empty, or why it could not be read. */
  tables: Map<number, TableFacts & { rows: boolean | string | undefined }>;
}

// ---------------------------------------------------------------------------------------------
// Words

/** A name in messages, quoted as PostgreSQL's own messages quote it. */
const quoted = (name: string): string => `"${name}"`;

/** `a, b, c and 4 more`. */
function some(items: readonly string[], max = 5): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

const oneLineText = (s: string) => s.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ');

/** `CREATE ROLE … NOLOGIN;` for a role the dump needs. */
export function createRoleSql(role: string): string {
  return `CREATE ROLE ${escapeIdentifier(role)} NOLOGIN;`;
}

/** A version number as server_version_num counts it, from `18.3`, `9.6.24`, `15.18 (Debian …)`. */
export function versionNum(text: string | null | undefined): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec((text ?? '').trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100 + Number(m[3] ?? 0);
}

/** The major release of a server_version_num: 1800 for 18.x, 906 for 9.6.x (for comparisons). */
const majorKey = (num: number): number => (num >= 100000 ? Math.floor(num / 10000) * 100 : Math.floor(num / 100));

// ---------------------------------------------------------------------------------------------
// Pure checks usable on their own

/** The first minor of each major whose psql knows `\restrict` (the August 2025 releases); 18 has it from its first release. */
const PSQL_RESTRICT_SINCE: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };
const FIRST_MAJOR_WITH_RESTRICT_IN_EVERY_RELEASE = 18;

/**
 * Plain dumps from pg_dump 17.6, 16.10, 15.14, 14.19, 13.22 and later (and every 18) start with
 * `\restrict KEY` and end with `\unrestrict KEY`; an older psql stops at the first with
 * `invalid command \restrict`. Blocking when the psql that would run cannot read such a dump.
 */
export function psqlRestrictFinding(psqlVersion: { major: number; minor: number } | null, dumpUsesRestrict: boolean): Finding | undefined {
  if (!dumpUsesRestrict) return undefined;
  const code = 'psql-lacks-restrict';
  const releases = '13.22, 14.19, 15.14, 16.10, 17.6, or any 18 or later';
  if (psqlVersion === null) {
    return { severity: 'blocking', code, message: `no psql was found, and this plain dump (with \\restrict lines) needs psql ${releases}: install one`, fixes: [{ kind: 'use-other-tool', major: FIRST_MAJOR_WITH_RESTRICT_IN_EVERY_RELEASE }] };
  }
  const { major, minor } = psqlVersion;
  if (major >= FIRST_MAJOR_WITH_RESTRICT_IN_EVERY_RELEASE) return undefined;
  const since = PSQL_RESTRICT_SINCE[major];
  if (since !== undefined && minor >= since) return undefined;
  if (since !== undefined) {
    return {
      severity: 'blocking',
      code,
      message: `this plain dump has \\restrict lines, which psql ${major}.${minor} does not know: use psql ${major}.${since} or later (or any newer major)`,
      fixes: [{ kind: 'use-other-tool', major }],
    };
  }
  return {
    severity: 'blocking',
    code,
    message: `this plain dump has \\restrict lines, which no psql ${major} release knows: use psql ${releases}`,
    fixes: [{ kind: 'use-other-tool', major: FIRST_MAJOR_WITH_RESTRICT_IN_EVERY_RELEASE }],
  };
}

/** `15` for 15.x, `9.6` for 9.6.x. */
const majorText = (num: number): string => (num >= 100000 ? String(Math.floor(num / 10000)) : `${Math.floor(num / 10000)}.${Math.floor(num / 100) % 100}`);

/**
 * A plain dump of a newer pg_dump sets parameters an older server lacks (`transaction_timeout`
 * from 17, `default_table_access_method` from 12); the restore leaves those settings out, and
 * says so, for information.
 */
export function missingParameterFindings(parameters: readonly string[], serverVersionNum: number): Finding[] {
  return parameters.map((p) => ({
    severity: 'info',
    code: 'parameter-missing',
    message: `the target (PostgreSQL ${majorText(serverVersionNum)}) has no parameter ${p}: its SET is left out`,
    fixes: [],
  }));
}

/** What the catalogs say about one extension the plan creates or needs. */
export interface ExtensionCheck {
  name: string;
  /** Planned (created by the restore) or only needed by planned entries. */
  planned: boolean;
  /** Its definition is `CREATE EXTENSION IF NOT EXISTS` (pg_dump writes that). */
  ifNotExists: boolean;
  facts: ExtensionFacts;
  dumpIds: number[];
}

/**
 * Classifies one extension: a finding, and whether it is a conflict (installed already and
 * created without IF NOT EXISTS).
 */
export function classifyExtension(check: ExtensionCheck, actorIsSuperuser: boolean): { finding?: Finding; conflict: boolean } {
  const { name, facts, planned, dumpIds } = check;
  const q = quoted(name);
  if (facts.installed) {
    if (!planned) return { conflict: false };
    if (check.ifNotExists) {
      const version = facts.installedVersion ? ` (version ${facts.installedVersion})` : '';
      return { conflict: false, finding: { severity: 'info', code: 'extension-installed', message: `extension ${q} is already installed in the target${version}: CREATE EXTENSION IF NOT EXISTS keeps it as it is`, fixes: [], dumpIds } };
    }
    return { conflict: true };
  }
  if (!facts.available) {
    if (planned) {
      return { conflict: false, finding: { severity: 'blocking', code: 'extension-unavailable', message: `extension ${q} is not available on the target server: install it on the server, or leave it out of the restore`, fixes: [], dumpIds } };
    }
    return {
      conflict: false,
      finding: { severity: 'warning', code: 'extension-unavailable', message: `extension ${q}, which planned objects use, is neither installed in the target nor available on its server: install it on the server first`, fixes: [], dumpIds },
    };
  }
  if (planned && facts.superuserOnly && !actorIsSuperuser) {
    return {
      conflict: false,
      finding: { severity: 'blocking', code: 'extension-needs-superuser', message: `extension ${q} can only be created by a superuser: restore as a superuser, or have one run CREATE EXTENSION ${escapeIdentifier(name)} in the target first`, fixes: [], dumpIds },
    };
  }
  return { conflict: false };
}

// ---------------------------------------------------------------------------------------------
// Judging

/** What every part of the judgement shares. */
interface Judge {
  archive: Archive;
  plan: RestorePlan;
  wanted: Wanted;
  facts: Facts;
  options: PreflightOptions;
  dataOnly: boolean;
  actorIsSuperuser: boolean;
  add(f: Finding): void;
  /** `TABLE sales.order`. */
  label(e: TocEntry, ref: ObjectRef): string;
  refOf(e: TocEntry, ref: ObjectRef): TargetObjectRef;
  /** What the catalogs said for the ref, if it exists in any form. */
  found(ref: ObjectRef): string | undefined;
  /** It exists, as the kind of object the entry creates. */
  exists(ref: ObjectRef): boolean;
}

const SEVERITY_ORDER: Record<FindingSeverity, number> = { blocking: 0, warning: 1, info: 2 };

/** The report: findings ordered blocking first, and the facts behind them. */
export function judge(archive: Archive, plan: RestorePlan, wanted: Wanted, facts: Facts, options: PreflightOptions): PreflightReport {
  const findings: Finding[] = [];
  const j: Judge = {
    archive,
    plan,
    wanted,
    facts,
    options,
    dataOnly: plan.mode === 'data-only',
    actorIsSuperuser: facts.actor.actorExists ? facts.actor.actorIsSuperuser : facts.actor.userIsSuperuser,
    add: (f) => findings.push({ ...f, message: oneLineText(f.message) }),
    label: (e, ref) => `${kindName(e)} ${objectName(ref)}`,
    refOf: (e, ref) => ({ dumpId: e.dumpId, desc: kindName(e), name: objectName(ref) }),
    found: (ref) => facts.objects.get(refKey(ref)),
    exists: (ref) => {
      const f = facts.objects.get(refKey(ref));
      return f !== undefined && isExpectedKind(ref, f);
    },
  };
  serverFindings(j);
  const missingRoles = roleFindings(j);
  const extensions = extensionStatus(j);
  const useExisting = useExistingFindings(j);
  const conflicts = conflictFindings(j, extensions.conflicts, new Set(useExisting.dumpIds));
  extensions.findings.forEach(j.add);
  const { missingRequired, missingNeeds, unchecked } = requirementFindings(j);
  foreignKeyFindings(j, missingRequired);
  dataFindings(j);
  permissionFindings(j, extensions.status);
  const databaseEmpty = isEmptyContents(facts.contents);
  if (!databaseEmpty) contentsFinding(j);
  uncheckedFinding(j, unchecked);

  findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  const { actor } = facts;
  return {
    target: {
      where: facts.where,
      serverVersion: facts.serverVersion,
      serverMajor: Math.floor(facts.serverVersionNum / 10000),
      database: actor.database,
      user: actor.user,
      isSuperuser: actor.userIsSuperuser,
      canCreate: facts.databaseMissing ? actor.actorCanCreateDatabase : actor.actorCanCreate,
      ...(options.role !== undefined ? { role: options.role } : {}),
      databaseMissing: facts.databaseMissing,
    },
    databaseEmpty,
    contents: facts.contents,
    missingRoles,
    conflicts,
    missingRequired,
    missingNeeds,
    extensions: extensions.status,
    useExisting,
    missingParameters: facts.missingParameters,
    findings,
    blocking: findings.some((f) => f.severity === 'blocking'),
  };
}

/** The database, the server's version, the pg_restore to run, --role, --clean with data only. */
function serverFindings(j: Judge): void {
  const { facts, archive, options } = j;
  const { actor } = facts;
  if (facts.databaseMissing) {
    const host = facts.where.replace(/\/[^/]*$/, '');
    const todo = actor.actorCanCreateDatabase ? 'create it first, or restore with --create' : `have a user with CREATEDB create it (${quoted(actor.user)} may not)`;
    j.add({ severity: 'blocking', code: 'database-missing', message: `database ${quoted(actor.database)} does not exist on ${host}: ${todo}`, fixes: [{ kind: 'create-database', name: actor.database }] });
  }
  const dumpNum = versionNum(archive.header.serverVersion);
  if (dumpNum !== undefined && majorKey(dumpNum) > majorKey(facts.serverVersionNum)) {
    const target = facts.serverVersion.split(' ')[0] ?? facts.serverVersion;
    j.add({
      severity: 'warning',
      code: 'server-older',
      message: `the dump comes from PostgreSQL ${archive.header.serverVersion} and the target runs PostgreSQL ${target}: pg_dump output is not meant for older servers, so statements using newer features may fail; restore into the same or a newer major version if you can`,
      fixes: [],
    });
  }
  if (options.pgRestoreVersion && archive.header.version) {
    const v = archive.header.version;
    const need = minimumMajorFor(v);
    if (options.pgRestoreVersion.major < need) {
      j.add({
        severity: 'blocking',
        code: 'pg-restore-too-old',
        message: `pg_restore ${options.pgRestoreVersion.major}.${options.pgRestoreVersion.minor} cannot read archive format ${v.major}.${v.minor}: use pg_restore ${need} or later`,
        fixes: [{ kind: 'use-other-tool', major: need }],
      });
    }
  }
  if (options.psql) {
    const restrict = psqlRestrictFinding(options.psql.version, options.psql.dumpUsesRestrict);
    if (restrict) j.add(restrict);
  }
  for (const f of missingParameterFindings(facts.missingParameters, facts.serverVersionNum)) j.add(f);
  if (options.role !== undefined) {
    if (!actor.actorExists) {
      j.add({ severity: 'blocking', code: 'restore-role-missing', message: `role ${quoted(options.role)} given with --role does not exist in the target: create it, or restore without --role`, fixes: [] });
    } else if (!actor.actorUsable) {
      j.add({
        severity: 'blocking',
        code: 'restore-role-not-member',
        message: `user ${quoted(actor.user)} is not a member of role ${quoted(options.role)}, so --role cannot switch to it: grant the role to the user, or restore without --role`,
        fixes: [],
      });
    }
  }
  if (options.clean && j.dataOnly) {
    j.add({ severity: 'blocking', code: 'clean-with-data-only', message: 'pg_restore cannot combine --clean with a data-only restore: leave --clean out, or restore definitions too', fixes: [] });
  }
}

/** Roles the plan needs that do not exist; owners the restoring role cannot give objects to. Returns the missing roles. */
function roleFindings(j: Judge): string[] {
  const { facts, options, wanted } = j;
  const { actor } = facts;
  const created = new Set(options.createRoles ?? []);
  const missingRoles: string[] = [];
  const ownersToSet: { role: string; dumpIds: number[] }[] = [];
  for (const [role, uses] of wanted.roles) {
    const r = facts.roles.get(role);
    const owned = uses.get('owner') ?? [];
    if (r?.exists) {
      if (owned.length > 0 && role !== actor.actor && !r.actorMayBecome) ownersToSet.push({ role, dumpIds: owned });
      continue;
    }
    missingRoles.push(role);
    const privileges = uses.get('privileges') ?? [];
    const policies = uses.get('policy') ?? [];
    const other = uses.get('other') ?? [];
    const dumpIds = [...new Set([...owned, ...privileges, ...policies, ...other])];
    const names = (n: number) => (n === 1 ? 'names' : 'name');
    const what: string[] = [];
    if (owned.length > 0) what.push(`it owns ${plural(owned.length, 'planned object')}`);
    if (privileges.length > 0) what.push(`privileges of ${plural(privileges.length, 'planned entry', 'planned entries')} name it`);
    if (policies.length > 0) what.push(`${plural(policies.length, 'planned policy', 'planned policies')} ${names(policies.length)} it`);
    if (other.length > 0) what.push(`${plural(other.length, 'planned user mapping')} ${names(other.length)} it`);
    const because = what.join('; ');
    if (created.has(role)) {
      j.add({ severity: 'info', code: 'role-created', message: `role ${quoted(role)} does not exist in the target (${because}): it will be created before the restore`, fixes: [], dumpIds });
      continue;
    }
    const createFix: ProposedFix = { kind: 'create-roles', roles: [role], sql: [createRoleSql(role)] };
    // Policies and user mappings need the role whatever the options: then only creating it helps.
    const onlyCreating = policies.length > 0 || other.length > 0;
    const needOwner = owned.length > 0 && !options.noOwner;
    const needPrivileges = privileges.length > 0 && !options.noPrivileges;
    if (!onlyCreating && !needOwner && !needPrivileges) {
      const by = [owned.length > 0 ? '--no-owner' : '', privileges.length > 0 ? '--no-privileges' : ''].filter(Boolean).join(' and ');
      j.add({ severity: 'info', code: 'role-missing', message: `role ${quoted(role)} does not exist in the target (${because}): ${by} leaves it out`, fixes: [createFix], dumpIds });
      continue;
    }
    const fixes: ProposedFix[] = [];
    const flags: string[] = [];
    if (!onlyCreating && needOwner) {
      fixes.push({ kind: 'no-owner' });
      flags.push('--no-owner');
    }
    if (!onlyCreating && needPrivileges) {
      fixes.push({ kind: 'no-privileges' });
      flags.push('--no-privileges');
    }
    fixes.push(createFix);
    const todo = flags.length === 0 ? 'create it before restoring' : `restore with ${flags.join(' and ')}, or create it`;
    j.add({ severity: 'blocking', code: 'role-missing', message: `role ${quoted(role)} does not exist in the target (${because}): ${todo}`, fixes, dumpIds });
  }
  if (!options.noOwner && !j.actorIsSuperuser && ownersToSet.length > 0) {
    const dumpIds = ownersToSet.flatMap((o) => o.dumpIds);
    // pg_restore and psql stop at the first error they meet (--exit-on-error, ON_ERROR_STOP): certain to fail.
    j.add({
      severity: 'blocking',
      code: 'cannot-set-owner',
      message: `${quoted(actor.actor)} is not a superuser and cannot give objects to ${some(ownersToSet.map((o) => `role ${quoted(o.role)}`))}, so pg_restore's ALTER … OWNER TO will fail for ${plural(dumpIds.length, 'object')}: restore with --no-owner (the objects then belong to ${quoted(actor.actor)}), or as a superuser`,
      fixes: [{ kind: 'no-owner' }],
      dumpIds,
    });
  }
  return missingRoles;
}

const NO_EXTENSION: ExtensionFacts = { available: false, defaultVersion: undefined, installed: false, installedVersion: undefined, superuserOnly: false };

/** Each extension the plan creates or needs: its status, its finding, whether it conflicts. */
function extensionStatus(j: Judge): { status: ExtensionStatus[]; findings: Finding[]; conflicts: Set<string> } {
  const status: ExtensionStatus[] = [];
  const findings: Finding[] = [];
  const conflicts = new Set<string>();
  for (const [name, ext] of j.wanted.extensions) {
    const f = j.facts.extensions.get(name) ?? NO_EXTENSION;
    status.push({
      name,
      available: f.available,
      installed: f.installed,
      ...(f.defaultVersion !== undefined ? { availableVersion: f.defaultVersion } : {}),
      ...(f.installedVersion !== undefined ? { installedVersion: f.installedVersion } : {}),
      planned: ext.planned,
    });
    const c = classifyExtension({ name, planned: ext.planned, ifNotExists: ext.ifNotExists, facts: f, dumpIds: ext.dumpIds }, j.actorIsSuperuser);
    if (c.finding) findings.push(c.finding);
    if (c.conflict) conflicts.add(name);
  }
  return { status, findings, conflicts };
}

/**
 * What the target has already and the restore uses as it is, each said as information: planned
 * schemas that exist (never dropped and re-created: --clean would destroy what they hold), and
 * comments on extensions the target has installed, which only their owner may change (a managed
 * server's plpgsql belongs to its superuser).
 */
function useExistingFindings(j: Judge): UseExisting {
  const { wanted, facts, options } = j;
  const used: UseExisting = { dumpIds: [], schemaOwners: [], notes: [] };
  for (const { entry, refs } of wanted.creates) {
    if (entry.desc !== 'SCHEMA' || !entry.tag || !refs.every((ref) => j.exists(ref))) continue;
    const owner = !options.noOwner && entry.owner ? entry.owner : undefined;
    used.dumpIds.push(entry.dumpId);
    if (owner) used.schemaOwners.push({ schema: entry.tag, owner });
    const note = `schema ${quoted(entry.tag)} exists in the target: it is used as it is (its CREATE SCHEMA is left out${owner ? `; its owner is set to ${quoted(owner)} as in the dump` : ''}; what the dump says of it, such as comments and privileges, still applies)`;
    used.notes.push(note);
    j.add({ severity: 'info', code: 'schema-exists', message: note, fixes: [], dumpIds: [entry.dumpId] });
  }
  if (!j.actorIsSuperuser) {
    for (const { entry } of j.plan.entries) {
      const m = entry.desc === 'COMMENT' ? /^EXTENSION (.+)$/.exec(entry.tag ?? '') : null;
      if (!m || !facts.extensions.get(m[1]!)?.installed) continue;
      const note = `extension ${quoted(m[1]!)} is installed in the target already: its comment is left out (only the extension's owner may change it, and ${quoted(facts.actor.actor)} is not a superuser)`;
      used.dumpIds.push(entry.dumpId);
      used.notes.push(note);
      j.add({ severity: 'info', code: 'extension-comment-left-out', message: note, fixes: [], dumpIds: [entry.dumpId] });
    }
  }
  return used;
}

/** Planned objects that already exist, and what --clean --if-exists would drop. Returns the conflicts. */
function conflictFindings(j: Judge, extensionConflicts: ReadonlySet<string>, used: ReadonlySet<number>): TargetObjectRef[] {
  const { wanted, options } = j;
  const conflicts: TargetObjectRef[] = [];
  const droppable: { entry: TocEntry; label: string }[] = [];
  const notDroppable: { entry: TocEntry; label: string }[] = [];
  const droppedIds = new Set<number>();
  for (const { entry, refs } of wanted.creates) {
    if (used.has(entry.dumpId)) continue;
    if (entry.desc === 'EXTENSION') {
      if (!extensionConflicts.has(entry.tag ?? '')) continue;
    } else if (TOLERANT_CREATE.test(entry.defn ?? '')) continue;
    for (const ref of refs) {
      const f = j.found(ref);
      if (f === undefined) continue;
      if (!isExpectedKind(ref, f)) {
        j.add({
          severity: 'blocking',
          code: 'name-taken',
          message: `${kindName(entry).toLowerCase()} ${objectName(ref)} cannot be created: the name is taken in the target by ${foundKindName(f)}, which --clean would not drop; rename or drop that object first`,
          fixes: [],
          dumpIds: [entry.dumpId],
        });
        continue;
      }
      conflicts.push(j.refOf(entry, ref));
      // pg_restore --clean drops every planned entry with a DROP statement, and large objects.
      if ((entry.dropStmt ?? '') !== '' || entry.desc === 'BLOB' || entry.desc === 'BLOB METADATA') {
        droppable.push({ entry, label: j.label(entry, ref) });
        droppedIds.add(entry.dumpId);
      } else notDroppable.push({ entry, label: j.label(entry, ref) });
    }
  }
  if (conflicts.length === 0) return conflicts;
  const drops = droppable.map((d) => d.label);
  const all = [...droppable, ...notDroppable];
  const dumpIds = [...new Set(all.map((d) => d.entry.dumpId))];
  if (options.clean && !j.dataOnly) {
    j.add({
      severity: 'warning',
      code: 'conflict',
      message: `--clean will drop ${plural(drops.length, 'object')} that already exist in the target before re-creating them (${some(drops)}): what they hold now is lost`,
      fixes: [{ kind: 'clean', drops }],
      dumpIds,
    });
    // An object without a DROP statement of its own (an identity sequence) goes with the object it belongs to.
    const stillThere = notDroppable.filter((n) => !wanted.own.owners(n.entry.dumpId).some((o) => droppedIds.has(o.dumpId)));
    if (stillThere.length > 0) {
      j.add({
        severity: 'blocking',
        code: 'conflict-not-droppable',
        message: `--clean does not drop ${some(stillThere.map((s) => s.label))}, which already exist in the target: drop them by hand first`,
        fixes: [],
        dumpIds: stillThere.map((s) => s.entry.dumpId),
      });
    }
  } else {
    j.add({
      severity: 'blocking',
      code: 'conflict',
      message: `${plural(conflicts.length, 'planned object')} already exist in the target (${some(all.map((d) => d.label))}): ${
        // A plain dump has no DROP statements of its objects: --clean is for archives.
        j.archive.format === 'plain' ? 'drop them first' : 'restore with --clean --if-exists to drop and re-create them'
      }, or restore into an empty database`,
      fixes: drops.length > 0 ? [{ kind: 'clean', drops }] : [],
      dumpIds,
    });
  }
  return conflicts;
}

/** What the plan needs but does not restore, absent from the target. */
function requirementFindings(j: Judge): { missingRequired: TargetObjectRef[]; missingNeeds: TargetObjectRef[]; unchecked: TocEntry[] } {
  const { wanted, facts } = j;
  const missingRequired: TargetObjectRef[] = [];
  const missingNeeds: TargetObjectRef[] = [];
  const required: { entry: TocEntry; label: string }[] = [];
  const needed: { entry: TocEntry; label: string }[] = [];
  // What a dangling foreign key references is reported with the foreign key.
  const referenced = new Set(wanted.foreignKeys.flatMap((f) => [...f.objects.map((o) => o.entry.dumpId), ...f.tables.map((t) => t.entry.dumpId)]));
  for (const n of wanted.needs) {
    if (!n.probe || referenced.has(n.entry.dumpId)) continue;
    // An extension is there when it is installed (classified with the extensions).
    if (n.entry.desc === 'EXTENSION' && facts.extensions.get(n.entry.tag ?? '')?.installed) continue;
    for (const ref of n.probe.refs) {
      if (j.exists(ref)) continue;
      const item = { entry: n.entry, label: j.label(n.entry, ref) };
      if (n.mustExist) {
        missingRequired.push(j.refOf(n.entry, ref));
        required.push(item);
      } else {
        missingNeeds.push(j.refOf(n.entry, ref));
        needed.push(item);
      }
    }
  }
  if (required.length > 0) {
    const one = required.length === 1;
    const where = j.dataOnly ? ' for a data-only restore' : '';
    j.add({
      severity: 'blocking',
      code: 'required-missing',
      message: facts.databaseMissing
        ? `${some(required.map((r) => r.label))} must already exist in the target${where}, and the database does not exist: restore definition and data`
        : `${some(required.map((r) => r.label))} must already exist in the target${where}, and ${one ? 'does' : 'do'} not: restore ${one ? 'its' : 'their'} definition first, or restore definition and data`,
      fixes: [],
      dumpIds: required.map((r) => r.entry.dumpId),
    });
  }
  if (needed.length > 0) {
    const one = needed.length === 1;
    j.add({
      severity: 'warning',
      code: 'needs-missing',
      message: `the plan needs ${some(needed.map((n) => n.label))}, which ${one ? 'is' : 'are'} neither planned nor in the target: include dependencies, or create ${one ? 'it' : 'them'} first`,
      fixes: [{ kind: 'include-dependencies' }],
      dumpIds: needed.map((n) => n.entry.dumpId),
    });
  }
  return { missingRequired, missingNeeds, unchecked: wanted.needs.filter((n) => !n.probe).map((n) => n.entry) };
}

/** Foreign keys whose referenced tables (data only: their rows) are not planned. Adds to missingRequired. */
function foreignKeyFindings(j: Judge, missingRequired: TargetObjectRef[]): void {
  const { wanted, facts, dataOnly } = j;
  const reported = new Set(missingRequired.map((m) => `${m.dumpId}\u0000${m.name}`));
  for (const { fk, objects, tables } of wanted.foreignKeys) {
    const fkRef = objectsOf(fk, wanted.own)?.[0];
    const fkLabel = `foreign key ${fkRef ? objectName(fkRef) : (fk.tag ?? fk.dumpId)}`;
    const absent: { entry: TocEntry; label: string; item: TargetObjectRef }[] = [];
    const present: string[] = [];
    // The referenced key under another name still serves: a missing key only matters without its table.
    const keys: { entry: TocEntry; label: string }[] = [];
    for (const o of objects) {
      for (const ref of o.refs) {
        if (j.exists(ref)) present.push(j.label(o.entry, ref));
        else if (ref.kind === 'relation' && ENTRY_OF_TABLE.has(o.entry.desc ?? '')) absent.push({ entry: o.entry, label: j.label(o.entry, ref), item: j.refOf(o.entry, ref) });
        else keys.push({ entry: o.entry, label: j.label(o.entry, ref) });
      }
    }
    const empty: string[] = [];
    for (const t of tables) {
      const tf = facts.tables.get(t.entry.dumpId);
      const ref: ObjectRef = { kind: 'relation', schema: t.schema, name: t.name, on: '', expect: 'rp' };
      const label = j.label(t.entry, ref);
      if (!tf?.exists) absent.push({ entry: t.entry, label, item: j.refOf(t.entry, ref) });
      else if (tf.rows === true) present.push(`${label} (with rows)`);
      else if (tf.rows === false) empty.push(label);
      else present.push(label);
    }
    if (absent.length > 0) {
      for (const a of absent) {
        const key = `${a.item.dumpId}\u0000${a.item.name}`;
        if (!reported.has(key)) missingRequired.push(a.item);
        reported.add(key);
      }
      const names = some(absent.map((a) => a.label));
      const isAre = absent.length === 1 ? 'is' : 'are';
      j.add({
        severity: 'blocking',
        code: 'dangling-foreign-key',
        message: dataOnly
          ? `${fkLabel} references ${names}, whose rows are not planned and which ${isAre} not in the target: include the referenced table`
          : `${fkLabel} references ${names}, which ${isAre} neither planned nor in the target: leave the foreign key out, or include the referenced table`,
        fixes: dataOnly ? [{ kind: 'include-dependencies' }] : [{ kind: 'leave-out-foreign-keys', dumpIds: [fk.dumpId] }, { kind: 'include-dependencies' }],
        dumpIds: [fk.dumpId, ...absent.map((a) => a.entry.dumpId)],
      });
      continue;
    }
    if (keys.length > 0) {
      j.add({
        severity: 'warning',
        code: 'foreign-key-key-missing',
        message: `${fkLabel} references ${some(keys.map((k) => k.label))}, which the target does not have under that name: the constraint needs a primary key or unique constraint on the referenced columns; include it, or check the target's table`,
        fixes: [{ kind: 'include-dependencies' }],
        dumpIds: [fk.dumpId, ...keys.map((k) => k.entry.dumpId)],
      });
    } else if (empty.length > 0) {
      j.add({
        severity: 'warning',
        code: 'foreign-key-rows-missing',
        message: `${fkLabel} references ${some(empty)}, which is empty in the target and whose rows are not planned: loading rows that reference it will fail; include its data`,
        fixes: [{ kind: 'include-dependencies' }],
        dumpIds: [fk.dumpId],
      });
    } else if (present.length > 0) {
      j.add({ severity: 'info', code: 'foreign-key-target-present', message: `${fkLabel} references ${some(present)}, which the target already has: the constraint can be created against it`, fixes: [], dumpIds: [fk.dumpId] });
    }
  }
}

/** Tables that get rows while their definitions are not planned: rows already there, INSERT privilege. */
function dataFindings(j: Judge): void {
  const { wanted, facts } = j;
  const withRows: { label: string; dumpIds: number[] }[] = [];
  const noInsert: { label: string; dumpIds: number[] }[] = [];
  const unreadable: string[] = [];
  for (const { table, data } of wanted.filled) {
    const tf = facts.tables.get(table.entry.dumpId);
    if (!tf?.exists) continue; // reported with what the plan needs
    const label = j.label(table.entry, { kind: 'relation', schema: table.schema, name: table.name, on: '', expect: '' });
    const dumpIds = data.map((d) => d.dumpId);
    if (!tf.canInsert) noInsert.push({ label, dumpIds });
    if (tf.rows === true) withRows.push({ label, dumpIds });
    else if (typeof tf.rows === 'string') unreadable.push(`${label} (${tf.rows})`);
  }
  if (noInsert.length > 0) {
    j.add({
      severity: 'blocking',
      code: 'no-insert-privilege',
      message: `${quoted(facts.actor.actor)} may not insert into ${some(noInsert.map((n) => n.label))}: grant INSERT, or restore as the owner or a superuser`,
      fixes: [],
      dumpIds: noInsert.flatMap((n) => n.dumpIds),
    });
  }
  if (withRows.length > 0) {
    const one = withRows.length === 1;
    j.add({
      severity: 'warning',
      code: 'table-has-rows',
      message: `${some(withRows.map((w) => w.label))} already ${one ? 'has' : 'have'} rows in the target: the dump's rows are added to them, and rows that repeat a key fail the whole table's load; empty ${one ? 'it' : 'them'} first if the dump should replace ${one ? 'its' : 'their'} rows`,
      fixes: [],
      dumpIds: withRows.flatMap((w) => w.dumpIds),
    });
  }
  if (unreadable.length > 0) {
    j.add({ severity: 'warning', code: 'rows-unchecked', message: `could not check whether ${some(unreadable)} already ${unreadable.length === 1 ? 'has' : 'have'} rows`, fixes: [] });
  }
}

/** CREATE on the database (schemas, extensions) and on existing schemas; USAGE on schemas whose tables get rows. */
function permissionFindings(j: Judge, extensions: readonly ExtensionStatus[]): void {
  const { wanted, facts, options } = j;
  const { actor } = facts;
  if (facts.databaseMissing) return;
  const creatingSchemas = wanted.plannedSchemas.filter((s) => {
    const ref = objectsOf(s, wanted.own)?.[0];
    return ref !== undefined && (!j.exists(ref) || options.clean === true);
  });
  const creatingExtensions = extensions.filter((e) => e.planned && !e.installed);
  if (!actor.actorCanCreate && (creatingSchemas.length > 0 || creatingExtensions.length > 0)) {
    const what = [...creatingSchemas.map((s) => `schema ${s.tag ?? ''}`), ...creatingExtensions.map((e) => `extension ${e.name}`)];
    j.add({
      severity: 'blocking',
      code: 'no-create-on-database',
      message: `${quoted(actor.actor)} has no CREATE privilege on database ${quoted(actor.database)}, which creating ${some(what)} needs: grant it (GRANT CREATE ON DATABASE ${escapeIdentifier(actor.database)} TO ${escapeIdentifier(actor.actor)}), or restore as a superuser`,
      fixes: [],
      dumpIds: creatingSchemas.map((s) => s.dumpId),
    });
  }
  // Existing schemas, planned or not: CREATE SCHEMA fails on them (and --clean cannot drop what the role does not own).
  const noCreate = [...wanted.schemas].filter((s) => facts.schemas.get(s)?.exists && !facts.schemas.get(s)?.canCreate);
  if (noCreate.length > 0) {
    const one = noCreate.length === 1;
    j.add({
      severity: 'blocking',
      code: 'no-create-on-schema',
      message: `${quoted(actor.actor)} may not create objects in schema ${some(noCreate.map((s) => objectName({ kind: 'schema', schema: '', name: s, on: '', expect: '' })))} of the target: grant CREATE on ${one ? 'it' : 'them'}, or restore as ${one ? 'its' : 'their'} owner or a superuser`,
      fixes: [],
    });
  }
  const noUsage = [...new Set(wanted.filled.map((f) => f.table.schema))].filter((s) => facts.schemas.get(s)?.exists && !facts.schemas.get(s)?.canUse);
  if (noUsage.length > 0) {
    j.add({ severity: 'blocking', code: 'no-usage-on-schema', message: `${quoted(actor.actor)} may not use schema ${some(noUsage)} of the target, whose tables the restore fills: grant USAGE on it`, fixes: [] });
  }
}

function contentsFinding(j: Judge): void {
  const c = j.facts.contents;
  const parts = [
    c.schemas ? plural(c.schemas, 'schema') : '',
    c.relations ? plural(c.relations, 'relation') : '',
    c.functions ? plural(c.functions, 'function') : '',
    c.types ? plural(c.types, 'type') : '',
    c.extensions ? plural(c.extensions, 'extension') : '',
    c.largeObjects ? plural(c.largeObjects, 'large object') : '',
  ].filter(Boolean);
  j.add({ severity: 'info', code: 'database-not-empty', message: `the target database ${quoted(j.facts.actor.database)} is not empty (${parts.join(', ')}): what it holds stays, and the restore adds to it`, fixes: [] });
}

function uncheckedFinding(j: Judge, uncheckedNeeds: readonly TocEntry[]): void {
  const unchecked = [...j.wanted.unchecked, ...uncheckedNeeds];
  if (unchecked.length === 0) return;
  const kinds = [...new Set(unchecked.map((e) => e.desc ?? '?'))];
  j.add({
    severity: 'info',
    code: 'unchecked',
    message: `${plural(unchecked.length, 'entry', 'entries')} of kind ${kinds.join(', ')} could not be checked against the target`,
    fixes: [],
    dumpIds: unchecked.map((e) => e.dumpId),
  });
}
