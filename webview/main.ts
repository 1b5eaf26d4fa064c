// Browser side of the extension's webview panels. Later issues add the panels; the bundle
// exists now so that the build, the CSP and the packaging already cover it.
import '@vscode-elements/elements/dist/vscode-button/index.js';

export {};
