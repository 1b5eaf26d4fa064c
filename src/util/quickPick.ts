import * as vscode from 'vscode';

/** An extension's quick pick as the workbench shows it. */
export interface ShownPick {
  /** Different for every pick shown. */
  readonly id: number;
  readonly title: string | undefined;
  /** The label of the item the workbench has focused; undefined until it has drawn the list. */
  readonly activeLabel: string | undefined;
}

/**
 * Which of the extension's quick picks is on screen, and whether the workbench has drawn its
 * list yet (it reports the focused item back once it has). Tests wait on this before they accept
 * an item, as a user waits to see the list before pressing Enter.
 */
class ShownPicks {
  private shown: ShownPick | undefined;
  private lastId = 0;
  private readonly changed = new vscode.EventEmitter<ShownPick | undefined>();
  readonly onDidChange = this.changed.event;

  get current(): ShownPick | undefined {
    return this.shown;
  }

  /** Follows `quickPick` from now until it is hidden or the returned disposable is disposed. */
  follow<T extends vscode.QuickPickItem>(quickPick: vscode.QuickPick<T>): vscode.Disposable {
    let mine: ShownPick | undefined;
    const set = (shown: ShownPick | undefined) => {
      // Hidden already, or another pick is on screen now: not this one's to change.
      if (mine === undefined || this.shown !== mine) return;
      mine = shown;
      this.shown = shown;
      this.changed.fire(shown);
    };
    const id = ++this.lastId;
    this.shown = mine = { id, title: quickPick.title, activeLabel: undefined };
    this.changed.fire(mine);
    const subscriptions = [
      quickPick.onDidChangeActive((active) => set({ id, title: quickPick.title, activeLabel: active[0]?.label })),
      quickPick.onDidHide(() => set(undefined)),
    ];
    return {
      dispose: () => {
        subscriptions.forEach((s) => s.dispose());
        set(undefined);
      },
    };
  }
}

export const shownPicks = new ShownPicks();

export interface PickOptions {
  title?: string;
  placeHolder?: string;
  matchOnDescription?: boolean;
  ignoreFocusOut?: boolean;
}

/**
 * One choice among `items` (separators allowed): what `showQuickPick` does, through a QuickPick
 * that `shownPicks` follows. Resolves with the accepted item, or undefined when dismissed.
 */
export async function pickOne<T extends vscode.QuickPickItem>(items: readonly T[], options: PickOptions): Promise<T | undefined> {
  const quickPick = vscode.window.createQuickPick<T>();
  quickPick.title = options.title;
  quickPick.placeholder = options.placeHolder;
  quickPick.matchOnDescription = options.matchOnDescription ?? false;
  quickPick.ignoreFocusOut = options.ignoreFocusOut ?? false;
  quickPick.items = items;
  return showPick(quickPick, () => quickPick.selectedItems[0]);
}

/**
 * Shows `quickPick` (followed by `shownPicks`) until an accept for which `onAccept` returns
 * something, or until it is hidden (undefined); then disposes of it.
 */
export async function showPick<T extends vscode.QuickPickItem, R>(quickPick: vscode.QuickPick<T>, onAccept: () => R | undefined): Promise<R | undefined> {
  const followed = shownPicks.follow(quickPick);
  const subscriptions: vscode.Disposable[] = [];
  try {
    return await new Promise<R | undefined>((resolve) => {
      subscriptions.push(
        quickPick.onDidAccept(() => {
          const value = onAccept();
          if (value !== undefined) resolve(value);
        }),
        quickPick.onDidHide(() => resolve(undefined)),
      );
      quickPick.show();
    });
  } finally {
    subscriptions.forEach((s) => s.dispose());
    followed.dispose();
    quickPick.dispose();
  }
}
