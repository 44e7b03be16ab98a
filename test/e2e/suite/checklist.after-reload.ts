/**
 * Runs after the harness reloaded the window (phase 2): the item ticked in checklist.e2e.ts is still ticked — in
 * the view (through the extension's API) and in the state file.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { api, waitFor, workspaceFile } from './util';

describe('checklist after a window reload', () => {
  it('the ticked item is still ticked in the view and in the file', async () => {
    const extension = await api();
    await vscode.commands.executeCommand('driverGuard.checklist.focus');
    const { provider, treeView } = extension.checklist;
    await waitFor(() => treeView.visible, 15_000, 'the checklist view');
    const items = JSON.parse(readFileSync(workspaceFile('.vscode', 'driver-security-checklist.json').fsPath, 'utf8')).items;
    assert.equal(items['checklist.threat-model']?.status, 'done');
    assert.equal(items['checklist.threat-model']?.note, 'docs/threat-model.md, reviewed 2026-11');
    const node = await waitFor(() => extension.checklist.itemNode('checklist.threat-model'), 10_000, 'the item node');
    await waitFor(() => {
      const state = provider.getTreeItem(node).checkboxState;
      return (typeof state === 'object' ? state.state : state) === vscode.TreeItemCheckboxState.Checked;
    }, 15_000, 'the item to show as done after the reload');
    await waitFor(() => /^1 \/ \d+ done$/.test(String(treeView.description)), 10_000, `the progress (got ${treeView.description})`);
    assert.ok(provider.getChildren(node).some((child) => child.kind === 'note'), 'the note is listed under the item');
  });
});
