import * as vscode from 'vscode';

/**
 * The extension's settings, read through one typed object. The executable paths are
 * machine-scoped and restricted in untrusted workspaces (package.json), so a workspace cannot
 * point them at another program.
 */
export class Config {
  private static readonly SECTION = 'pgDumpExplorer';

  private get settings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(Config.SECTION);
  }

  /** A configured pg_restore (the executable or its folder); undefined to search PATH and the usual places. */
  get pgRestorePath(): string | undefined {
    return this.settings.get<string>('pgRestorePath')?.trim() || undefined;
  }

  /** A configured psql (the executable or its folder); undefined to search PATH and the usual places. */
  get psqlPath(): string | undefined {
    return this.settings.get<string>('psqlPath')?.trim() || undefined;
  }

  /** A configured pg_dump (the executable or its folder); undefined to search PATH and the usual places. */
  get pgDumpPath(): string | undefined {
    return this.settings.get<string>('pgDumpPath')?.trim() || undefined;
  }

  /** A configured pg_dumpall (the executable or its folder); undefined to search PATH and the usual places. */
  get pgDumpallPath(): string | undefined {
    return this.settings.get<string>('pgDumpallPath')?.trim() || undefined;
  }

  /** A configured folder of PostgreSQL server programs (initdb, pg_ctl, postgres) for Verify Dump…'s throwaway server. */
  get serverBinDir(): string | undefined {
    return this.settings.get<string>('serverBinPath')?.trim() || undefined;
  }

  /** Plain dumps larger than this (bytes) opened in the text editor are offered the Large Dump Viewer. */
  get plainViewerThresholdBytes(): number {
    const mb = this.settings.get<number>('plainViewerThresholdMB', 50);
    return (Number.isFinite(mb) && mb > 0 ? mb : 50) * 1024 * 1024;
  }

  /** Whether a restore loads the tables it creates with COPY … FREEZE (RestoreRunOptions.freeze). */
  get restoreWithCopyFreeze(): boolean {
    return this.settings.get<boolean>('restoreWithCopyFreeze', true) !== false;
  }

  /** Fires when a setting of this extension changes. */
  onDidChange(listener: () => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(Config.SECTION)) listener();
    });
  }
}
