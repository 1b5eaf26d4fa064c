/**
 * Archives in the layout of pg_dump 9.6 and 10 (format 1.12, 1.13), which no local pg_dump
 * makes: the rich fixture re-encoded by the test-only archive writer, with the public schema as
 * an entry that creates it, as those versions wrote it.
 */
import { withArchive, type OpenedArchive } from '../../src/core/archive';
import { Section, type TocEntry } from '../../src/core/model/types';
import { writeCustomArchive } from './archiveWriter';

/** An entry pg_dump 10 wrote that a newer pg_dump does not: no data, pre-data unless said. */
function oldEntry(fields: Pick<TocEntry, 'dumpId' | 'desc' | 'tag' | 'defn' | 'dependencies'> & Partial<TocEntry>): TocEntry {
  return {
    hadDumper: false,
    tableoid: '0',
    oid: '0',
    section: Section.PreData,
    hasDefinition: true,
    dropStmt: '',
    copyStmt: null,
    namespace: null,
    tablespace: '',
    tableam: '',
    relkind: null,
    owner: 'postgres',
    withOids: 'false',
    data: null,
    dataSize: null,
    ...fields,
  };
}

/**
 * custom.dump (the rich fixture, pg_dump 15) written again in the layout pg_dump 9.6 / 10 used
 * for the public schema: `SCHEMA - public` creating it, its comment and privileges, plpgsql and
 * the comment on it, and every object in public depending on the schema's entry.
 */
export async function writeOldArchive(customDump: string, file: string, minor: 12 | 13): Promise<void> {
  await withArchive(customDump, async (source) => {
    const entries = source.archive.entries;
    let next = Math.max(...entries.map((e) => e.dumpId));
    const schema = oldEntry({ dumpId: ++next, desc: 'SCHEMA', tag: 'public', tableoid: '2615', oid: '2200', defn: 'CREATE SCHEMA public;\n', dropStmt: 'DROP SCHEMA public;\n', dependencies: [] });
    const extension = oldEntry({ dumpId: ++next, desc: 'EXTENSION', tag: 'plpgsql', tableoid: '3079', oid: '13000', defn: 'CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;\n', dropStmt: 'DROP EXTENSION plpgsql;\n', owner: '', dependencies: [] });
    const early = [
      schema,
      oldEntry({ dumpId: ++next, desc: 'COMMENT', tag: 'SCHEMA public', defn: "COMMENT ON SCHEMA public IS 'standard public schema';\n", dependencies: [schema.dumpId] }),
      extension,
      oldEntry({ dumpId: ++next, desc: 'COMMENT', tag: 'EXTENSION plpgsql', defn: "COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';\n", owner: '', dependencies: [extension.dumpId] }),
    ];
    const acl = oldEntry({
      dumpId: ++next,
      desc: 'ACL',
      tag: 'SCHEMA public',
      section: Section.None,
      defn: 'REVOKE ALL ON SCHEMA public FROM PUBLIC;\nREVOKE ALL ON SCHEMA public FROM postgres;\nGRANT ALL ON SCHEMA public TO postgres;\nGRANT ALL ON SCHEMA public TO PUBLIC;\n',
      dependencies: [schema.dumpId],
    });
    const inPublic = (e: TocEntry) => (e.namespace === 'public' ? (Object.create(e, { dependencies: { value: [...e.dependencies, schema.dumpId] } }) as TocEntry) : e);
    // After the archive's own settings entries (ENCODING, STDSTRINGS, SEARCHPATH), as pg_dump orders them.
    const settings = entries.filter((e) => ['ENCODING', 'STDSTRINGS', 'SEARCHPATH'].includes(e.desc ?? ''));
    const rest = entries.filter((e) => !settings.includes(e)).map(inPublic);
    const archive = { ...source.archive, header: { ...source.archive.header, serverVersion: `${minor === 12 ? '9.6.24' : '10.23'}`, pgDumpVersion: `${minor === 12 ? '9.6.24' : '10.23'}` }, entries: [...settings, ...early, ...rest, acl] };
    const old: OpenedArchive = { archive, openData: (e) => source.openData(e), largeObjects: (e) => source.largeObjects(e), close: async () => undefined };
    await writeCustomArchive(old, file, { version: { major: 1, minor, rev: 0 }, compression: 'gzip', offsets: true });
  });
}
