/**
 * The checklist sidebar in a real VS Code: items, ticking (the JSON file records it), not applicable / reopen,
 * findings as evidence, a corrupt state file, and state surviving a server restart. The window reload is checked
 * by checklist.after-reload.ts (second phase of the harness).
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CHECKLIST_ITEMS } from '../../../shared/checklist-items';
import type { ChecklistNode, ItemNode } from '../../../client/src/checklist';
import type { ScanWorkspaceResult } from '../../../shared/protocol';
import { api, driverGuardDiagnostics, openDocument, waitFor, workspaceFile } from './util';

const STATE_FILE = () => workspaceFile('.vscode', 'driver-security-checklist.json').fsPath;

function fileItems(): Record<string, { status: string; reason?: string; note?: string; links?: string[]; updatedBy?: string }> {
  if (!existsSync(STATE_FILE())) return {};
  return JSON.parse(readFileSync(STATE_FILE(), 'utf8')).items ?? {};
}

async function checklist() {
  return (await api()).checklist;
}

async function allNodes(): Promise<ChecklistNode[]> {
  const { provider } = await checklist();
  const result: ChecklistNode[] = [];
  const walk = (nodes: ChecklistNode[]) => {
    for (const node of nodes) {
      result.push(node);
      if (node.kind !== 'item') walk(provider.getChildren(node));
    }
  };
  walk(provider.getChildren());
  return result;
}

async function item(id: string): Promise<ItemNode> {
  const node = (await checklist()).itemNode(id);
  assert.ok(node, `item ${id}`);
  return node;
}

async function treeItem(id: string): Promise<vscode.TreeItem> {
  const { provider } = await checklist();
  return provider.getTreeItem(await item(id));
}

/** Reveal retries: the view can be visible before it fetched its children (TreeError "node not found"). */
async function reveal(node: ChecklistNode): Promise<void> {
  const { treeView } = await checklist();
  await waitFor(async () => {
    await treeView.reveal(node, { select: true, focus: false, expand: false });
    return treeView.selection.includes(node);
  }, 10_000, 'the tree view to reveal the item');
}

describe('checklist sidebar', () => {
  before(async () => {
    await api();
    await vscode.commands.executeCommand('driverGuard.checklist.focus');
    await waitFor(async () => (await checklist()).treeView.visible, 15_000, 'the checklist view to be visible');
  });

  it('lists every checklist item grouped by phase, with progress in the title', async () => {
    const nodes = await allNodes();
    const groups = nodes.filter((node) => node.kind === 'group').map((node) => (node as { group: string }).group);
    assert.deepEqual(groups, ['Design', 'Code', 'Review and test', 'Ship']);
    const ids = nodes.filter((node) => node.kind === 'item').map((node) => (node as ItemNode).item.id);
    assert.deepEqual(ids.sort(), CHECKLIST_ITEMS.map((entry) => entry.id).sort());
    const { treeView } = await checklist();
    await waitFor(() => treeView.description === `0 / ${CHECKLIST_ITEMS.length} done`, 10_000, `the progress description (got ${treeView.description})`);
    const threat = await treeItem('checklist.threat-model');
    assert.equal(threat.checkboxState && typeof threat.checkboxState === 'object' ? threat.checkboxState.state : threat.checkboxState, vscode.TreeItemCheckboxState.Unchecked);
    assert.match(String(threat.contextValue), /^checklistItem:open:manual$/);
    await reveal(await item('checklist.threat-model'));
  });

  it('a corrupt state file shows the error item and is never overwritten; "Back Up and Reset" recovers', async () => {
    const corrupt = '{ "version": 1, "items": { "checklist.threat-model": { "status": "done", } \n';
    mkdirSync(path.dirname(STATE_FILE()), { recursive: true });
    writeFileSync(STATE_FILE(), corrupt);
    const { provider, setChecked } = await checklist();
    await waitFor(() => provider.getChildren()[0]?.kind === 'error', 15_000, 'the error item');
    const error = provider.getTreeItem(provider.getChildren()[0]);
    assert.match(String(error.label), /cannot be used/);
    assert.equal(error.contextValue, 'checklistError');
    assert.equal(await setChecked(await item('checklist.threat-model'), true), false, 'the change is refused');
    assert.equal(readFileSync(STATE_FILE(), 'utf8'), corrupt, 'the file is untouched');

    const backup = await vscode.commands.executeCommand<string>('driverGuard.checklist.backupAndReset', workspaceFile(), { confirmed: true });
    assert.ok(backup && existsSync(backup), `backup ${backup}`);
    assert.match(path.basename(backup), /^driver-security-checklist\.json\.bak-\d{8}T\d{6}Z/);
    assert.equal(readFileSync(backup, 'utf8'), corrupt);
    assert.deepEqual(fileItems(), {});
    await waitFor(() => provider.getChildren()[0]?.kind === 'group', 15_000, 'the groups to come back');
  });

  it('a file from a newer version is refused and left as it is', async () => {
    const newer = `${JSON.stringify({ version: 99, items: { 'checklist.threat-model': { status: 'done' } } }, null, 2)}\n`;
    writeFileSync(STATE_FILE(), newer);
    const { provider, setChecked } = await checklist();
    await waitFor(() => provider.getChildren()[0]?.kind === 'error', 15_000, 'the error item');
    assert.match(String(provider.getTreeItem(provider.getChildren()[0]).label), /newer/);
    assert.equal(await setChecked(await item('checklist.binskim'), true), false);
    assert.equal(readFileSync(STATE_FILE(), 'utf8'), newer);
    await vscode.commands.executeCommand('driverGuard.checklist.backupAndReset', workspaceFile(), { confirmed: true });
    await waitFor(() => provider.getChildren()[0]?.kind === 'group', 15_000, 'the groups to come back');
    for (const file of readdirSync(path.dirname(STATE_FILE())).filter((name) => name.includes('.bak-'))) assert.ok(file.startsWith('driver-security-checklist.json.bak-'));
  });

  it('ticking an item records it in .vscode/driver-security-checklist.json', async () => {
    const { setChecked, treeView } = await checklist();
    assert.equal(await setChecked(await item('checklist.threat-model'), true), true);
    const saved = fileItems()['checklist.threat-model'];
    assert.equal(saved?.status, 'done');
    assert.ok(saved.updatedBy, 'updatedBy is recorded');
    const text = readFileSync(STATE_FILE(), 'utf8');
    assert.ok(text.endsWith('}\n') && text.includes('\n  "version": 1'), 'human-diffable file');
    await waitFor(async () => {
      const state = (await treeItem('checklist.threat-model')).checkboxState;
      return (typeof state === 'object' ? state.state : state) === vscode.TreeItemCheckboxState.Checked;
    }, 10_000, 'the checkbox to show the item as done');
    await waitFor(() => treeView.description === `1 / ${CHECKLIST_ITEMS.length} done`, 10_000, `progress 1 / n (got ${treeView.description})`);
    assert.equal(await vscode.commands.executeCommand('driverGuard.checklist.editNote', await item('checklist.threat-model'), 'docs/threat-model.md, reviewed 2026-11'), true);
    assert.equal(fileItems()['checklist.threat-model'].note, 'docs/threat-model.md, reviewed 2026-11');

    // "Attach File…" stores a folder-relative link; the link is a child that opens the file.
    const evidence = workspaceFile('closed', 'handler.c');
    assert.equal(await vscode.commands.executeCommand('driverGuard.checklist.attachFile', await item('checklist.threat-model'), [evidence]), true);
    assert.deepEqual(fileItems()['checklist.threat-model'].links, ['closed/handler.c']);
    const { provider } = await checklist();
    const link = await waitFor(() => provider.getChildren(provider.itemNode(provider.allFolders()[0], 'checklist.threat-model')!).find((node) => node.kind === 'link'), 10_000, 'the link child');
    const linkItem = provider.getTreeItem(link);
    await vscode.commands.executeCommand(linkItem.command!.command, ...(linkItem.command!.arguments ?? []));
    await waitFor(() => vscode.window.activeTextEditor?.document.uri.fsPath === evidence.fsPath, 10_000, 'the linked file to open');
    assert.equal(await vscode.commands.executeCommand('driverGuard.checklist.removeLink', link), true);
    assert.equal(fileItems()['checklist.threat-model'].links, undefined);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('"Mark Not Applicable" with a reason and "Reopen" work and change the progress', async () => {
    const { treeView } = await checklist();
    const node = await item('checklist.hlk-tests');
    assert.equal(await vscode.commands.executeCommand('driverGuard.checklist.markNotApplicable', node, 'software-only driver, no HLK submission'), true);
    assert.deepEqual({ ...fileItems()['checklist.hlk-tests'], updatedAt: undefined, updatedBy: undefined }, { status: 'not-applicable', reason: 'software-only driver, no HLK submission', updatedAt: undefined, updatedBy: undefined });
    await waitFor(() => treeView.description === `1 / ${CHECKLIST_ITEMS.length - 1} done`, 10_000, `progress without the n/a item (got ${treeView.description})`);
    const treeItemNa = await treeItem('checklist.hlk-tests');
    assert.match(String(treeItemNa.description), /not applicable: software-only driver/);
    assert.equal((treeItemNa.iconPath as vscode.ThemeIcon).id, 'circle-slash');
    assert.equal(await vscode.commands.executeCommand('driverGuard.checklist.reopen', node), true);
    assert.equal(fileItems()['checklist.hlk-tests'], undefined, 'a reopened item with nothing attached leaves the file');
    await waitFor(() => treeView.description === `1 / ${CHECKLIST_ITEMS.length} done`, 10_000, 'progress back');
  });

  it('a finding in an open file shows up under its item and jumps to the location; ticking warns', async () => {
    const { provider, setChecked, treeView } = await checklist();
    const uri = workspaceFile('src', 'sample.c');
    await openDocument(uri);
    const secure = await item('checklist.secure-coding');
    const finding = await waitFor(() => provider.getChildren(secure).find((node) => node.kind === 'finding' && node.finding.uri === uri.toString() && node.finding.ruleId === 'deprecated-pool-alloc'), 20_000, 'the deprecated-pool-alloc finding under "Follow driver secure coding guidelines"');
    assert.match(String((await treeItem('checklist.secure-coding')).description), /\d+ findings?/);
    await waitFor(() => typeof treeView.badge?.value === 'number' && treeView.badge.value > 0, 10_000, 'the badge with open findings');

    const findingItem = provider.getTreeItem(finding);
    assert.ok(findingItem.command);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand(findingItem.command.command, ...(findingItem.command.arguments ?? []));
    const editor = await waitFor(() => vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() && vscode.window.activeTextEditor, 10_000, 'the finding to open');
    assert.equal(editor.selection.start.line, (finding as { finding: { line: number } }).finding.line);

    assert.equal(await setChecked(secure, true), true);
    const warned = await treeItem('checklist.secure-coding');
    assert.equal((warned.iconPath as vscode.ThemeIcon).id, 'warning');
    assert.match((warned.tooltip as vscode.MarkdownString).value, /Marked done, but \d+ findings? tied to this item (is|are) still open/);
    assert.equal(await setChecked(secure, false), true);
  });

  it('"Export Checklist Report" lists each item with its status, note and findings', async () => {
    const document = await vscode.commands.executeCommand<vscode.TextDocument>('driverGuard.exportChecklistReport');
    const text = document.getText();
    assert.equal(document.languageId, 'markdown');
    assert.match(text, /^# Driver security checklist report/);
    assert.match(text, /- \[x\] \*\*Perform threat analysis\*\* — Done/);
    assert.match(text, /Note: docs\/threat-model\.md/);
    assert.match(text, /Finding `deprecated-pool-alloc` \(warning\) at src\/sample\.c:\d+/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('an external edit (git pull) updates the view; unknown ids are kept on write', async () => {
    const { provider } = await checklist();
    const current = JSON.parse(readFileSync(STATE_FILE(), 'utf8'));
    current.items['checklist.binskim'] = { status: 'done', updatedBy: 'teammate' };
    current.items['checklist.from-a-newer-catalogue'] = { status: 'done' };
    writeFileSync(STATE_FILE(), `${JSON.stringify(current, null, 2)}\n`);
    const folder = provider.allFolders()[0];
    await waitFor(() => provider.stateOf(folder, 'checklist.binskim').status === 'done', 15_000, 'the external edit to reach the view');
    assert.equal(await (await checklist()).setChecked(await item('checklist.codeql'), true), true);
    assert.equal(fileItems()['checklist.from-a-newer-catalogue']?.status, 'done');
    assert.equal(fileItems()['checklist.binskim']?.status, 'done');
    assert.equal(await (await checklist()).setChecked(await item('checklist.codeql'), false), true);
    assert.equal(await (await checklist()).setChecked(await item('checklist.binskim'), false), true);
  });

  it('"Scan Workspace" from the view can be cancelled while it runs', async () => {
    const dir = workspaceFile('generated').fsPath;
    mkdirSync(dir, { recursive: true });
    const text = readFileSync(workspaceFile('src', 'sample.c').fsPath, 'utf8');
    const count = 600;
    for (let index = 0; index < count; index++) writeFileSync(path.join(dir, `driver${index}.c`), text);
    try {
      const scan = vscode.commands.executeCommand<ScanWorkspaceResult>('driverGuard.scanWorkspace');
      // Cancel once the server is analyzing (the first generated file has diagnostics), as a user would.
      await waitFor(() => readdirSync(dir).some((name) => driverGuardDiagnostics(vscode.Uri.file(path.join(dir, name))).length > 0), 30_000, 'the scan to start analyzing');
      await vscode.commands.executeCommand('driverGuard.cancelScan');
      const result = await scan;
      assert.equal(result?.cancelled, true, `scan result ${JSON.stringify(result)}`);
      assert.ok(result.files < count, `stopped early (${result.files} files)`);
    } finally {
      for (const name of readdirSync(dir)) rmSync(path.join(dir, name), { force: true });
    }
    // A new scan is accepted afterwards (the "scanning" state was reset); a complete scan also forgets the deleted
    // files (file events for hundreds of deletions can be coalesced away).
    const again = await vscode.commands.executeCommand<ScanWorkspaceResult>('driverGuard.scanWorkspace');
    assert.equal(again?.cancelled, false);
    await waitFor(() => !vscode.languages.getDiagnostics().some(([uri, diagnostics]) => uri.fsPath.startsWith(dir) && diagnostics.length > 0), 30_000, 'the generated files to leave the Problems panel');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the file\'s $schema is served by the extension: hand edits are validated offline', async () => {
    // Another file name: the `$schema` (not the jsonValidation file match) must bring the schema.
    const probe = workspaceFile('.vscode', 'schema-probe.json');
    const text = JSON.parse(readFileSync(STATE_FILE(), 'utf8'));
    assert.equal(text.$schema, 'driver-guard://schemas/driver-security-checklist.schema.json');
    writeFileSync(probe.fsPath, JSON.stringify({ $schema: text.$schema, items: { 'checklist.binskim': { status: 'finished' } }, version: 1 }, null, 2));
    try {
      await openDocument(probe);
      const messages = await waitFor(() => {
        const list = vscode.languages.getDiagnostics(probe).map((diagnostic) => diagnostic.message);
        return list.length ? list : undefined;
      }, 20_000, 'JSON diagnostics from the schema');
      assert.ok(messages.some((message) => /not-applicable/.test(message)), messages.join(' | '));
      assert.ok(!messages.some((message) => /Unable to load schema/i.test(message)), messages.join(' | '));
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      rmSync(probe.fsPath, { force: true });
    }
  });

  it('after "Restart Server" the checklist state is intact and the evidence returns', async () => {
    const extension = await api();
    const before = readFileSync(STATE_FILE(), 'utf8');
    await vscode.commands.executeCommand('driverGuard.restartServer');
    await waitFor(() => extension.client?.isRunning(), 30_000, 'the restarted server');
    assert.equal(readFileSync(STATE_FILE(), 'utf8'), before);
    const { provider } = extension.checklist;
    const folder = provider.allFolders()[0];
    assert.equal(provider.stateOf(folder, 'checklist.threat-model').status, 'done');
    await openDocument(workspaceFile('src', 'sample.c'));
    const secure = await item('checklist.secure-coding');
    await waitFor(async () => {
      await extension.checklist.refreshFindings();
      return provider.getChildren(secure).some((node) => node.kind === 'finding');
    }, 30_000, 'findings from the new server');
    const threat = await treeItem('checklist.threat-model');
    assert.equal(typeof threat.checkboxState === 'object' ? threat.checkboxState.state : threat.checkboxState, vscode.TreeItemCheckboxState.Checked);
  });
});
