import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** What the last restore drill of a dump found, as the Dumps view marks its row. */
export interface VerifyMark {
  ok: boolean;
  /** `restores cleanly`, `does not restore cleanly: 3 problems`, … */
  verdict: string;
  /** ISO time the drill ended. */
  at: string;
  reportPath: string;
  /** The dump's modification time when it was verified: a dump changed since has no mark. */
  mtimeMs: number;
}

const KEY = 'pgDumpExplorer.verifyMarks';
/** How many dumps' marks are kept; the oldest go first. */
const KEEP = 200;

/**
 * The verification marks of dumps, by file path, kept in the extension's global state so they
 * survive a reload. A mark counts only while the dump's modification time is the one verified
 * (a directory dump's: its toc.dat's).
 */
export class VerifyMarks {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  private all(): Record<string, VerifyMark> {
    return this.state.get<Record<string, VerifyMark>>(KEY) ?? {};
  }

  /** The mark of the dump at `file`, when it is still the dump that was verified. */
  get(file: string): VerifyMark | undefined {
    const mark = this.all()[path.resolve(file)];
    if (!mark) return undefined;
    return modifiedAt(file) === mark.mtimeMs ? mark : undefined;
  }

  async set(file: string, mark: Omit<VerifyMark, 'mtimeMs'>): Promise<void> {
    const mtimeMs = modifiedAt(file);
    if (mtimeMs === undefined) return;
    const all = { ...this.all(), [path.resolve(file)]: { ...mark, mtimeMs } };
    const keys = Object.keys(all).sort((a, b) => all[a]!.at.localeCompare(all[b]!.at));
    for (const k of keys.slice(0, Math.max(0, keys.length - KEEP))) delete all[k];
    await this.state.update(KEY, all);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The modification time that says whether a dump changed: a directory dump's toc.dat, else the file's. */
function modifiedAt(file: string): number | undefined {
  try {
    const stat = fs.statSync(file);
    if (!stat.isDirectory()) return stat.mtimeMs;
    for (const toc of ['toc.dat', 'toc.dat.gz', 'toc.dat.lz4', 'toc.dat.zst']) {
      try {
        return fs.statSync(path.join(file, toc)).mtimeMs;
      } catch {
        // the next name
      }
    }
    return stat.mtimeMs;
  } catch {
    return undefined;
  }
}

/** `verified 2026-12-07` / `verify failed 2026-12-07`: the row's mark, for its description. */
export function markText(mark: VerifyMark): string {
  const day = mark.at.slice(0, 10);
  return mark.ok ? `✓ verified ${day}` : `✗ verify failed ${day}`;
}

/** Puts the mark on a dump's row: description, tooltip line and icon. */
export function applyMark(item: vscode.TreeItem, mark: VerifyMark | undefined): void {
  if (!mark) return;
  item.description = `${markText(mark)}${item.description ? ` · ${String(item.description)}` : ''}`;
  addMarkTooltip(item, mark);
  item.iconPath = mark.ok ? new vscode.ThemeIcon('verified', new vscode.ThemeColor('testing.iconPassed')) : new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
}

/** Adds the mark's line (when, verdict, report) to the item's tooltip. */
export function addMarkTooltip(item: vscode.TreeItem, mark: VerifyMark | undefined): void {
  if (!mark) return;
  const line = `${mark.ok ? 'Verified' : 'Verification failed'} ${mark.at.replace('T', ' ').slice(0, 16)} UTC: ${mark.verdict}. Report: ${mark.reportPath}`;
  if (item.tooltip instanceof vscode.MarkdownString) item.tooltip.appendMarkdown(`\n\n${line.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&')}`);
  else item.tooltip = `${item.tooltip ? `${String(item.tooltip)}\n` : ''}${line}`;
}
