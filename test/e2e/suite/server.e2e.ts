/** The server as a process: workspace scan of closed files, restart, and recovery after a crash. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, codeOf, driverGuardDiagnostics, openDocument, waitFor, workspaceFile } from './util';

function serverPid(client: { initializeResult?: { capabilities: { experimental?: unknown } } } | undefined): number | undefined {
  const experimental = client?.initializeResult?.capabilities.experimental as { processId?: number } | undefined;
  return experimental?.processId;
}

describe('server lifecycle', () => {
  it('"Scan Workspace" reports findings in files that are not open', async () => {
    await api();
    const closed = workspaceFile('closed', 'handler.c');
    assert.ok(!vscode.workspace.textDocuments.some((document) => document.uri.fsPath === closed.fsPath), 'handler.c is not open');
    const result = await vscode.commands.executeCommand<{ files: number; findings: number }>('driverGuard.scanWorkspace');
    assert.ok(result && result.files >= 2, `scanned ${result?.files} files`);
    await waitFor(() => driverGuardDiagnostics(closed).some((d) => codeOf(d) === 'user-length-copy-unchecked'), 20_000, 'the scan finding in handler.c');
  });

  it('"Restart Server" brings the diagnostics back', async () => {
    const extension = await api();
    const uri = workspaceFile('src', 'sample.c');
    await openDocument(uri);
    await waitFor(() => driverGuardDiagnostics(uri).length > 0, 20_000, 'diagnostics before the restart');
    const before = serverPid(extension.client);
    await vscode.commands.executeCommand('driverGuard.restartServer');
    await waitFor(() => serverPid(extension.client) !== undefined && serverPid(extension.client) !== before, 30_000, 'a new server process');
    await waitFor(() => driverGuardDiagnostics(uri).some((d) => codeOf(d) === 'deprecated-pool-alloc'), 30_000, 'diagnostics after the restart');
  });

  it('a killed server is restarted by the client and diagnostics return', async () => {
    const extension = await api();
    const uri = workspaceFile('src', 'sample.c');
    const editor = await openDocument(uri);
    const pid = await waitFor(() => serverPid(extension.client), 20_000, 'the server process id');
    process.kill(pid, 'SIGKILL');
    await waitFor(() => {
      const current = serverPid(extension.client);
      return current !== undefined && current !== pid && extension.client?.isRunning();
    }, 60_000, 'the client to restart the crashed server');
    // Any edit makes the new server analyze the open document.
    await editor.edit((builder) => builder.insert(new vscode.Position(0, 0), ' '));
    await waitFor(() => driverGuardDiagnostics(uri).some((d) => codeOf(d) === 'deprecated-pool-alloc'), 30_000, 'diagnostics after the crash');
    await editor.edit((builder) => builder.delete(new vscode.Range(0, 0, 0, 1)));
  });
});
