import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PlainEntry } from '../core/plain/indexer';
import { sectionName } from '../core/plain/sectionDocument';
import type { OpenDumps } from '../dumps/openDumps';

/** The command the restore flow registers: it restores what is picked in the dump `{ dumpKey }`. */
const RESTORE_SELECTED = 'pgDumpExplorer.restore.selected';

/**
 * "Restore this object…": opens the dump in the extension (the Dumps view), picks exactly that
 * object there and starts the restore flow on it, which shows the target and asks before
 * anything changes. An entry's dumpId in the plain dump's model is its position + 1.
 */
export async function restorePlainObject(dumps: OpenDumps, uri: vscode.Uri, position: number, entry: Pick<PlainEntry, 'desc' | 'namespace' | 'tag'>): Promise<void> {
  const name = `${entry.desc} ${sectionName(entry)}`;
  const dump = await dumps.openDump(uri);
  const dumpId = position + 1;
  const toc = dump.opened.archive.entries.find((e) => e.dumpId === dumpId);
  if (!toc || toc.desc !== entry.desc || toc.tag !== entry.tag || (toc.namespace ?? null) !== entry.namespace) {
    throw new Error(`${path.basename(uri.fsPath)} changed since it was read: entry ${dumpId} is no longer ${name}; close the dump in the Dumps view and try again`);
  }
  if (entry.desc === 'SCHEMA') {
    const node = dump.outline.roots.find((n) => n.kind === 'schema' && n.dumpId === dumpId);
    dump.picks.clear();
    if (node) dump.picks.set(node, true);
  } else {
    dump.picks.restore([dumpId]);
  }
  if (dump.picks.count === 0) throw new Error(`${name} belongs to another object (a table's index, data or comment…): pick that object in the Dumps view to restore it`);
  dumps.picksDidChange(dump);
  if (!(await vscode.commands.getCommands(true)).includes(RESTORE_SELECTED)) {
    throw new Error(`${name} is picked in the Dumps view, but this build cannot restore yet (${RESTORE_SELECTED} is not available)`);
  }
  await vscode.commands.executeCommand(RESTORE_SELECTED, { dumpKey: dump.key });
}
