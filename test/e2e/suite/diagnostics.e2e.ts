/** Diagnostics, quick fixes, suppressions and settings, as a user meets them in the editor. */
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { api, codeOf, describeFileState, driverGuardDiagnostics, openDocument, setSetting, waitFor, workspaceFile } from './util';

const POOL_LINE = "    PVOID buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'gDvD');";

/** A fresh file per test so tests do not depend on each other's edits. */
async function freshDriver(name: string): Promise<{ uri: vscode.Uri; editor: vscode.TextEditor }> {
  const uri = workspaceFile('src', name);
  writeFileSync(uri.fsPath, `#include <ntddk.h>\n\nVOID Helper(VOID)\n{\n${POOL_LINE}\n    if (buffer != NULL) {\n        ExFreePoolWithTag(buffer, 'gDvD');\n    }\n}\n`);
  const editor = await openDocument(uri);
  await waitFor(() => driverGuardDiagnostics(uri).some((diagnostic) => codeOf(diagnostic) === 'deprecated-pool-alloc'), 20_000, `deprecated-pool-alloc on ${name}`, () => describeFileState(uri));
  return { uri, editor };
}

async function quickFixes(uri: vscode.Uri, diagnostic: vscode.Diagnostic): Promise<vscode.CodeAction[]> {
  return vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
}

describe('diagnostics in the editor', () => {
  before(async () => {
    await api();
  });

  it('opening a driver shows findings with rule id, docs link and checklist item', async () => {
    const uri = workspaceFile('src', 'sample.c');
    await openDocument(uri);
    const diagnostics = await waitFor(() => {
      const list = driverGuardDiagnostics(uri);
      return list.some((d) => codeOf(d) === 'ioctl-method-neither') && list.some((d) => codeOf(d) === 'deprecated-pool-alloc') ? list : undefined;
    }, 20_000, 'diagnostics on sample.c', () => describeFileState(uri));
    const pool = diagnostics.find((diagnostic) => codeOf(diagnostic) === 'deprecated-pool-alloc')!;
    assert.equal(pool.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(pool.message, /\(checklist: Follow driver secure coding guidelines\)$/);
    const code = pool.code as { value: string; target: vscode.Uri };
    assert.match(code.target.toString(), /docs\/rules\/deprecated-pool-alloc\.md$/);
  });

  it('the preferred quick fix edits the file and the diagnostic goes away', async () => {
    const { uri, editor } = await freshDriver('quickfix.c');
    const diagnostic = driverGuardDiagnostics(uri).find((d) => codeOf(d) === 'deprecated-pool-alloc')!;
    const actions = await quickFixes(uri, diagnostic);
    const preferred = actions.filter((action) => action.isPreferred);
    assert.equal(preferred.length, 1, `one preferred fix among: ${actions.map((action) => action.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(preferred[0].edit!));
    assert.equal(editor.document.lineAt(4).text, "    PVOID buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'gDvD');");
    await waitFor(() => !driverGuardDiagnostics(uri).some((d) => codeOf(d) === 'deprecated-pool-alloc'), 20_000, 'the fixed diagnostic to disappear');
  });

  it('"suppress on this line" inserts the comment and the diagnostic goes away', async () => {
    const { uri, editor } = await freshDriver('suppress.c');
    const diagnostic = driverGuardDiagnostics(uri).find((d) => codeOf(d) === 'deprecated-pool-alloc')!;
    const suppress = (await quickFixes(uri, diagnostic)).find((action) => action.title === 'Suppress deprecated-pool-alloc on this line');
    assert.ok(suppress?.edit);
    assert.ok(await vscode.workspace.applyEdit(suppress.edit));
    assert.equal(editor.document.lineAt(4).text, '    // driver-guard-ignore-next-line deprecated-pool-alloc: explain why this is safe');
    await waitFor(() => !driverGuardDiagnostics(uri).some((d) => codeOf(d) === 'deprecated-pool-alloc'), 20_000, 'the suppressed diagnostic to disappear');
  });

  it('turning a rule off removes its diagnostics; turning it back on restores them', async () => {
    const { uri } = await freshDriver('settings.c');
    const restore = await setSetting('rules', { 'deprecated-pool-alloc': 'off' });
    try {
      await waitFor(() => !driverGuardDiagnostics(uri).some((d) => codeOf(d) === 'deprecated-pool-alloc'), 20_000, 'the rule to switch off');
    } finally {
      await restore();
    }
    await waitFor(() => driverGuardDiagnostics(uri).some((d) => codeOf(d) === 'deprecated-pool-alloc'), 20_000, 'the rule to come back');
    const severe = await setSetting('rules', { 'deprecated-pool-alloc': 'error' });
    try {
      await waitFor(() => driverGuardDiagnostics(uri).find((d) => codeOf(d) === 'deprecated-pool-alloc')?.severity === vscode.DiagnosticSeverity.Error, 20_000, 'the severity override');
    } finally {
      await severe();
    }
  });
});
