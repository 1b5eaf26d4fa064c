/**
 * Navigation of a pg_dump script in the text editor, through VS Code's own commands (what the
 * Outline, F12, Shift-F12, hovers and Ctrl-T ask for): `rich.sql` of the workspace, the real
 * pg_dump's plain output of the fixture database.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { workspaceFile } from '../extension';

/** The first line (0-based) whose text is exactly `text`, or starts with it. */
function lineOf(doc: vscode.TextDocument, text: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.startsWith(text)) return i;
  assert.fail(`no line starting ${JSON.stringify(text)}`);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

describe('plain dump navigation (rich.sql)', function () {
  this.timeout(60_000);
  let doc: vscode.TextDocument;

  before(async () => {
    doc = await vscode.workspace.openTextDocument(workspaceFile('rich.sql'));
    assert.equal(doc.languageId, 'sql');
    await vscode.window.showTextDocument(doc);
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('outlines it schema → kind → object, objects spanning their sections', async () => {
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
    assert.ok(symbols && symbols.length > 0, 'no symbols');
    const names = symbols.map((s) => s.name);
    for (const schema of ['Audit Log', 'public', 'sales']) assert.ok(names.includes(schema), `schemas: ${names.join(', ')}`);
    const sales = symbols.find((s) => s.name === 'sales')!;
    assert.equal(sales.kind, vscode.SymbolKind.Namespace);
    const tables = sales.children.find((k) => k.name === 'Tables');
    assert.ok(tables, `kinds of sales: ${sales.children.map((k) => k.name).join(', ')}`);
    const customer = tables.children.find((o) => o.name === 'customer');
    assert.ok(customer, `tables: ${tables.children.map((o) => o.name).join(', ')}`);
    assert.equal(customer.kind, vscode.SymbolKind.Class);
    assert.equal(doc.lineAt(customer.selectionRange.start.line).text, '-- Name: customer; Type: TABLE; Schema: sales; Owner: postgres');
    assert.ok(doc.getText(customer.range).includes('CREATE TABLE sales.customer ('));
    assert.ok(!doc.getText(customer.range).includes('-- Name: customer_id_seq'), 'the range is the one section');
    const data = sales.children.find((k) => k.name === 'Table data')!.children.find((o) => o.name === 'customer')!;
    assert.match(data.detail, /TABLE DATA · \d+ rows/);
    assert.ok(tables.range.contains(customer.range) && sales.range.contains(tables.range));
  });

  it('folds every section and every COPY block', async () => {
    const ranges = await vscode.commands.executeCommand<vscode.FoldingRange[]>('vscode.executeFoldingRangeProvider', doc.uri);
    const header = lineOf(doc, '-- Name: customer; Type: TABLE; Schema: sales');
    const section = ranges.find((r) => r.start === header);
    assert.ok(section, 'no fold at the customer table header');
    assert.equal(doc.lineAt(section.end).text, 'ALTER TABLE sales.customer OWNER TO postgres;');
    const copy = lineOf(doc, 'COPY sales.customer ');
    const block = ranges.find((r) => r.start === copy);
    assert.ok(block, 'no fold at COPY sales.customer');
    assert.equal(doc.lineAt(block.end).text, '\\.');
    const copies = doc.getText().split('\n').filter((l) => /^COPY .* FROM stdin;$/.test(l)).length;
    assert.equal(ranges.filter((r) => /^COPY /.test(doc.lineAt(r.start).text)).length, copies);
  });

  it('goes from REFERENCES sales.customer to CREATE TABLE sales.customer', async () => {
    const line = lineOf(doc, '    ADD CONSTRAINT order_customer_id_fkey');
    const at = new vscode.Position(line, doc.lineAt(line).text.indexOf('REFERENCES sales.customer') + 'REFERENCES sales.cu'.length);
    const found = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', doc.uri, at);
    assert.equal(found.length, 1, JSON.stringify(found));
    const target = found[0]!;
    const range = 'targetRange' in target ? target.targetRange : target.range;
    assert.match(doc.lineAt(range.start.line).text, /^CREATE TABLE sales\.customer \(/);
    assert.equal(doc.getText(range), 'sales.customer');
  });

  it('goes from a view\'s FROM and a trigger\'s ON to the table, quoted names included', async () => {
    const trigger = lineOf(doc, 'CREATE TRIGGER ');
    const at = new vscode.Position(trigger, doc.lineAt(trigger).text.indexOf(' ON sales."order"') + 6);
    const [loc] = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, at);
    assert.ok(loc, 'no definition for the trigger\'s table');
    assert.match(doc.lineAt(loc.range.start.line).text, /^CREATE TABLE sales\."order" \(/);
  });

  it('finds every reference to sales.customer', async () => {
    const create = lineOf(doc, 'CREATE TABLE sales.customer (');
    const refs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', doc.uri, new vscode.Position(create, 'CREATE TABLE sales.cu'.length));
    const lines = refs.map((r) => doc.lineAt(r.range.start.line).text.trim());
    for (const expected of [/^CREATE TABLE sales\.customer \(/, /REFERENCES sales\.customer\(id\)/, /^COPY sales\.customer /, /^CREATE POLICY customer_self ON sales\.customer /, /^GRANT SELECT ON TABLE sales\.customer TO app_reader;/, /JOIN sales\.customer c/]) {
      assert.ok(lines.some((l) => expected.test(l)), `${expected} among ${lines.join(' | ')}`);
    }
    assert.ok(refs.every((r) => doc.getText(r.range) === 'sales.customer'));
  });

  it('hovers with kind, owner, size and rows, and explains \\restrict', async () => {
    const header = lineOf(doc, '-- Data for Name: customer; Type: TABLE DATA; Schema: sales');
    const onHeader = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(header, 5)));
    assert.match(onHeader, /TABLE DATA/);
    assert.match(onHeader, /owner `postgres`/);
    assert.match(onHeader, /section of [\d.]+ kB in \d+ lines/);
    assert.match(onHeader, /COPY block of \d+ rows/);
    const restrict = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(lineOf(doc, '\\restrict '), 2)));
    assert.match(restrict, /17\.6, 16\.10, 15\.14, 14\.19, 13\.22/);
    assert.match(restrict, /invalid command \\restrict/);
  });

  it('offers "Restore this object…" on object headers only', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100);
    const ours = lenses.filter((l) => l.command?.command === 'pgDumpExplorer.plain.restoreObject');
    const headers = ours.map((l) => doc.lineAt(l.range.start.line).text);
    assert.ok(headers.includes('-- Name: customer; Type: TABLE; Schema: sales; Owner: postgres'), headers.join('\n'));
    assert.ok(headers.includes('-- Name: sales; Type: SCHEMA; Schema: -; Owner: app_owner'));
    assert.ok(!headers.some((h) => /Type: (TABLE DATA|COMMENT|ACL|FK CONSTRAINT|INDEX);/.test(h)), 'parts get no lens');
    const arg = ours.find((l) => doc.lineAt(l.range.start.line).text.includes('Name: customer; Type: TABLE;'))!.command!.arguments![0] as { desc: string; tag: string; namespace: string };
    assert.deepEqual([arg.desc, arg.namespace, arg.tag], ['TABLE', 'sales', 'customer']);
  });

  it('finds its objects in the workspace symbol search', async () => {
    const found = await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', 'order_line');
    const ours = found.filter((s) => s.location.uri.toString() === doc.uri.toString());
    const names = ours.map((s) => `${s.name} (${s.containerName})`);
    assert.ok(names.includes('order_line (sales · TABLE)'), names.join(', '));
    assert.ok(names.includes('order_line (sales · TABLE DATA)'), names.join(', '));
    const table = ours.find((s) => s.containerName === 'sales · TABLE')!;
    assert.match(doc.lineAt(table.location.range.start.line).text, /^-- Name: order_line; Type: TABLE;/);
  });

  it('leaves SQL that is not a dump alone', async () => {
    const other = await vscode.workspace.openTextDocument({ language: 'sql', content: 'CREATE TABLE s.t (id int REFERENCES s.u(id));\n' });
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', other.uri);
    assert.equal((symbols ?? []).length, 0);
  });
});
