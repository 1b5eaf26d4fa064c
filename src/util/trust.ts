import * as vscode from 'vscode';

/**
 * Whether the workspace is trusted; when not, says why `what` needs trust in a modal dialog that
 * offers to manage it, and answers false. Commands that run client programs ask this first.
 */
export async function ensureTrusted(why: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const answer = await vscode.window.showWarningMessage(why, { modal: true }, 'Manage Workspace Trust');
  if (answer) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
