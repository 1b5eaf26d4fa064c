import { isListedByDefault } from './listing';
import { type Archive, SECTION_NAMES } from './types';

/** The archive as one JSON-ready object: every entry, hidden ones too, NULL kept as null. */
export function archiveToJson(a: Archive): object {
  const h = a.header;
  return {
    path: a.path,
    format: a.format,
    container: a.container,
    header: {
      archiveVersion: h.version ? `${h.version.major}.${h.version.minor}-${h.version.rev}` : null,
      version: h.version,
      intSize: h.intSize,
      offSize: h.offSize,
      formatByte: h.formatByte,
      compression: h.compression,
      compressionLevel: h.compressionLevel,
      createdAt: h.createdAt,
      dbname: h.dbname,
      serverVersion: h.serverVersion,
      pgDumpVersion: h.pgDumpVersion,
      tocCount: h.tocCount,
    },
    entries: a.entries.map((e) => ({
      dumpId: e.dumpId,
      desc: e.desc,
      section: SECTION_NAMES[e.section],
      namespace: e.namespace,
      tag: e.tag,
      owner: e.owner,
      tablespace: e.tablespace,
      tableam: e.tableam,
      relkind: e.relkind,
      dependencies: e.dependencies,
      hadDumper: e.hadDumper,
      dataSize: e.dataSize,
      dataLocation: e.data,
      listed: isListedByDefault(e),
      tableoid: e.tableoid,
      oid: e.oid,
      withOids: e.withOids,
      defn: e.defn,
      dropStmt: e.dropStmt,
      copyStmt: e.copyStmt,
    })),
    dataProblems: a.dataProblems,
  };
}
