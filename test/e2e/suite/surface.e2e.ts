/**
 * The "Attack Surface" view and "Export Threat Model" in a real VS Code, on a copy of the bundled sample driver:
 * the view lists its IOCTLs after a workspace scan, clicking one opens its handler, typing a new `case` updates
 * the view, the checklist's threat-model item shows the model's facts, and the export writes the report.
 */
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, api, openDocument, waitFor, workspaceFile } from './util';

const FOLDER = 'sample-driver';

async function surface() {
  return (await api()).attackSurface;
}

async function ioctlDescriptions(): Promise<Map<string, string>> {
  const { provider } = await surface();
  const folder = vscode.workspace.workspaceFolders![0];
  const nodes = provider.ioctlNodes(folder).filter((node) => node.driver.name === FOLDER);
  return new Map(nodes.map((node) => [node.ioctl.name, String(provider.getTreeItem(node).description)]));
}

describe('attack surface view', () => {
  before(async function () {
    this.timeout(60_000);
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    cpSync(path.join(extension.extensionPath, 'examples', 'sample-driver'), workspaceFile(FOLDER).fsPath, { recursive: true });
    const result = await (await api()).scanWorkspace();
    assert.ok(result && !result.cancelled, 'the workspace scan ran');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(workspaceFile(FOLDER).fsPath, { recursive: true, force: true });
    rmSync(workspaceFile('threat-model.md').fsPath, { force: true });
    for (const name of readdirSync(workspaceFile().fsPath)) if (/^threat-model\..*\.svg$/.test(name)) rmSync(workspaceFile(name).fsPath, { force: true });
  });

  it('lists the sample driver\'s IOCTLs with method, access and findings', async () => {
    await vscode.commands.executeCommand('driverGuard.attackSurface.focus');
    const { treeView } = await surface();
    await waitFor(() => treeView.visible, 15_000, 'the Attack Surface view');
    const descriptions = await waitFor(async () => {
      await (await surface()).refresh();
      const found = await ioctlDescriptions();
      return found.size === 3 ? found : undefined;
    }, 30_000, 'the three IOCTLs of the sample driver', async () => JSON.stringify([...(await ioctlDescriptions())]));
    assert.equal(descriptions.get('IOCTL_SAMPLE_STORE'), 'BUFFERED · write · 1 finding');
    assert.equal(descriptions.get('IOCTL_SAMPLE_SET_NAME'), 'BUFFERED · write');
    assert.match(descriptions.get('IOCTL_SAMPLE_GET_STATS') ?? '', /^NEITHER · read · declared, not handled/);
    const model = (await surface()).model();
    const driver = model?.surface.drivers.find((candidate) => candidate.name === FOLDER);
    assert.equal(driver?.devices[0]?.name, '\\Device\\DriverGuardSample');
  });

  it('clicking an IOCTL opens its handler', async () => {
    const { provider } = await surface();
    const node = provider.ioctlNodes(vscode.workspace.workspaceFolders![0]).find((candidate) => candidate.ioctl.name === 'IOCTL_SAMPLE_STORE');
    assert.ok(node);
    const command = provider.getTreeItem(node).command;
    assert.ok(command);
    await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
    await waitFor(() => {
      const editor = vscode.window.activeTextEditor;
      return editor?.document.uri.path.endsWith(`${FOLDER}/driver.c`) && editor.selection.active.line === 37;
    }, 10_000, 'driver.c open at SampleStore', () => `${vscode.window.activeTextEditor?.document.uri.path}:${vscode.window.activeTextEditor?.selection.active.line}`);
  });

  it('updates as the user types a new case', async () => {
    const editor = await openDocument(workspaceFile(FOLDER, 'driver.c'));
    const line = editor.document.getText().split('\n').findIndex((text) => text.includes('case IOCTL_SAMPLE_STORE:'));
    assert.ok(line > 0);
    await editor.edit((edit) => edit.insert(new vscode.Position(line, 0), '    case IOCTL_SAMPLE_GET_STATS:\n        status = STATUS_NOT_SUPPORTED;\n        break;\n'));
    await waitFor(async () => !/declared, not handled/.test((await ioctlDescriptions()).get('IOCTL_SAMPLE_GET_STATS') ?? 'declared, not handled'), 20_000,
      'GET_STATS to show as handled', async () => (await ioctlDescriptions()).get('IOCTL_SAMPLE_GET_STATS') ?? '');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await waitFor(async () => /declared, not handled/.test((await ioctlDescriptions()).get('IOCTL_SAMPLE_GET_STATS') ?? ''), 20_000, 'GET_STATS to be declared only again');
  });

  it('the checklist\'s threat-model item shows the model\'s facts', async () => {
    const { checklist } = await api();
    await checklist.refreshFindings();
    const node = checklist.itemNode('checklist.threat-model');
    assert.ok(node);
    const facts = await waitFor(() => {
      const found = checklist.provider.getChildren(node).filter((child) => child.kind === 'fact');
      return found.length > 0 ? found : undefined;
    }, 15_000, 'facts under the threat-model item');
    const label = String(checklist.provider.getTreeItem(facts[0]).label);
    assert.match(label, /^Attack surface: \d+ devices?, \d+ IOCTLs/);
  });

  it('Export Threat Model writes the report into the folder', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>('driverGuard.exportThreatModel', folder, { overwrite: true });
    assert.ok(written, 'the command returns the report');
    assert.equal(written.fsPath, workspaceFile('threat-model.md').fsPath);
    assert.ok(existsSync(written.fsPath));
    const report = readFileSync(written.fsPath, 'utf8');
    assert.match(report, /^# Threat model: /);
    assert.match(report, /## Driver `sample-driver` \(WDM\)/);
    assert.match(report, /\| IOCTL_SAMPLE_STORE \| 0x8337A008 \| BUFFERED \| FILE_WRITE_ACCESS \| `SampleStore` \[sample-driver\/driver\.c:38\]\(sample-driver\/driver\.c#L38\)/);
    assert.match(report, /```mermaid\nflowchart LR/);
    assert.match(report, /\*\*Elevation of privilege\*\*/);
    assert.match(report, /!\[Data flow of sample-driver\]\(threat-model\.sample-driver\.svg\)/);
    assert.match(readFileSync(workspaceFile('threat-model.sample-driver.svg').fsPath, 'utf8'), /^<svg [^]*IOCTL_SAMPLE_STORE/);
  });

  it('Show Data-Flow Diagram opens a webview with the pictures and no script', async () => {
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel | undefined>('driverGuard.showDataFlow', vscode.workspace.workspaceFolders![0].uri);
    assert.ok(panel, 'the command returns the panel');
    assert.equal(panel.webview.options.enableScripts, false);
    assert.match(panel.webview.html, /default-src 'none'/);
    assert.match(panel.webview.html, /<h2>sample-driver<\/h2><div class="diagram"><svg /);
    panel.dispose();
  });
});
