import { css } from 'lit';

/**
 * The summary page's own styles, adopted as a constructed stylesheet: the Content Security Policy
 * (`style-src` of the extension's files only) allows no inline <style>, and this keeps them beside
 * the code that uses them. Colours are VS Code's theme variables.
 */
const sheet = css`
  html,
  body {
    height: 100%;
  }

  body {
    padding: 0 20px;
    box-sizing: border-box;
  }

  #app {
    display: flex;
    flex-direction: column;
    height: 100%;
    min-height: 420px;
    padding-bottom: 8px;
    box-sizing: border-box;
  }

  .head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 8px 16px;
    margin: 14px 0 10px;
  }

  .head h1 {
    margin: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }

  .actions {
    display: flex;
    gap: 8px;
  }

  dl.summary {
    grid-template-columns: max-content minmax(0, 1fr) max-content minmax(0, 1fr);
    gap: 4px 16px;
    margin-bottom: 10px;
  }

  @media (max-width: 760px) {
    dl.summary {
      grid-template-columns: max-content minmax(0, 1fr);
    }
  }

  ul.warnings {
    list-style: none;
    padding: 0;
    margin: 4px 0 10px;
    display: flex;
    flex-direction: column;
    gap: 6px;
  }

  .warning-item {
    display: flex;
    gap: 8px;
    align-items: flex-start;
    padding: 6px 10px;
    border-left: 3px solid var(--vscode-editorWarning-foreground);
    background: var(--vscode-textBlockQuote-background);
  }

  .warning-item.error {
    border-left-color: var(--vscode-errorForeground);
  }

  .warning-item.info {
    border-left-color: var(--vscode-editorInfo-foreground);
  }

  .warning-item .codicon {
    margin-top: 2px;
  }

  .detail {
    margin-top: 2px;
    font-size: 0.92em;
  }

  .checking,
  .no-warnings {
    margin: 4px 0 10px;
  }

  section.entries {
    flex: 1;
    display: flex;
    flex-direction: column;
    min-height: 240px;
    margin-bottom: 12px;
  }

  .toolbar {
    display: flex;
    align-items: center;
    gap: 12px;
    margin-bottom: 6px;
  }

  .toolbar vscode-textfield {
    width: min(420px, 60%);
  }

  .grid {
    flex: 1;
    display: flex;
    flex-direction: column;
    min-height: 0;
    border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
    outline: none;
  }

  .grid:focus-visible {
    outline: 1px solid var(--vscode-focusBorder);
    outline-offset: -1px;
  }

  .rows {
    flex: 1;
    min-height: 0;
  }

  .row {
    display: grid;
    grid-template-columns: 6em 14em 10em minmax(10em, 1fr) 9em 6em 6em;
    width: 100%;
    height: 22px;
    line-height: 22px;
    cursor: pointer;
  }

  .row.header {
    cursor: default;
    font-weight: 600;
    border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
    background: var(--vscode-editor-background);
  }

  .row:not(.header):hover {
    background: var(--vscode-list-hoverBackground);
  }

  .row.active {
    background: var(--vscode-list-inactiveSelectionBackground);
  }

  .grid:focus .row.active {
    background: var(--vscode-list-activeSelectionBackground);
    color: var(--vscode-list-activeSelectionForeground);
  }

  .row.unlisted {
    font-style: italic;
  }

  .cell {
    padding: 0 8px;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }

  .cell.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }

  .empty {
    padding: 8px;
    margin: 0;
  }

  .problem {
    max-width: 760px;
    margin-top: 24px;
  }

  .problem .message {
    font-size: 1.1em;
  }

  .loading {
    margin-top: 24px;
  }
`;

export const styles: CSSStyleSheet = sheet.styleSheet!;
