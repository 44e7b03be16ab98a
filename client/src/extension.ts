/** activate()/deactivate(): wiring only. Each feature registers its own disposables. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  FINDINGS_CHANGED_NOTIFICATION,
  SCAN_WORKSPACE_REQUEST,
  SETTINGS_WARNING_NOTIFICATION,
  STATUS_NOTIFICATION,
  type ScanWorkspaceResult,
  type SettingsWarningParams,
  type StatusParams,
} from '../../shared/protocol';
import { CHECKLIST_VIEW_ID, registerChecklist, type ChecklistApi } from './checklist';
import { createFileWatchers, createLanguageClient } from './client';
import { registerAttackSurface, type AttackSurfaceApi } from './surface';
import { ServerStatus } from './status';

/** What activate() returns: used by the end-to-end tests and by other extensions. */
export interface DriverGuardApi {
  /** The current language client (replaced on restart). */
  readonly client: LanguageClient | undefined;
  /** Resolves when the current client is running. */
  ready(): Promise<void>;
  restartServer(): Promise<void>;
  /** Scans every C/C++ file of the workspace folders in the server (the "Scan Workspace" command). */
  scanWorkspace(): Promise<ScanWorkspaceResult | undefined>;
  readonly outputChannel: vscode.LogOutputChannel;
  /** The checklist sidebar: tree view, provider and test hooks. */
  readonly checklist: ChecklistApi;
  /** The "Attack Surface" view and the threat-model export. */
  readonly attackSurface: AttackSurfaceApi;
}

let client: LanguageClient | undefined;
let starting: Promise<void> | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<DriverGuardApi> {
  const outputChannel = vscode.window.createOutputChannel('Driver Guard', { log: true });
  const status = new ServerStatus();
  context.subscriptions.push(outputChannel, status);
  // The view first: it reads its files asynchronously and never waits for the server.
  const watchers = createFileWatchers();
  context.subscriptions.push(watchers.sources, watchers.deletions);
  const checklist = registerChecklist(context, { client: () => client, outputChannel, sourceWatcher: watchers.sources });
  const attackSurface = registerAttackSurface(context, { client: () => client, outputChannel });

  const start = async (): Promise<void> => {
    const next = createLanguageClient(context, outputChannel, watchers);
    client = next;
    status.attach(next);
    next.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => status.onServerStatus(params));
    next.onNotification(SETTINGS_WARNING_NOTIFICATION, (params: SettingsWarningParams) => {
      for (const message of params.messages) void vscode.window.showWarningMessage(`Driver Guard: ${message}`);
    });
    next.onNotification(FINDINGS_CHANGED_NOTIFICATION, () => {
      checklist.onFindingsChanged();
      attackSurface.onFindingsChanged();
    });
    try {
      await next.start();
      checklist.onFindingsChanged();
      attackSurface.onFindingsChanged();
    } catch (error) {
      status.show('error', String(error));
      outputChannel.error(`Driver Guard server failed to start: ${String(error)}`);
      void vscode.window.showErrorMessage('Driver Guard: the analysis server failed to start. See the "Driver Guard" output for details.', 'Show Output')
        .then((choice) => choice && outputChannel.show());
    }
  };

  const restartServer = async (): Promise<void> => {
    const previous = client;
    client = undefined;
    if (previous) {
      try {
        await previous.dispose(2000);
      } catch (error) {
        outputChannel.warn(`Stopping the server: ${String(error)}`);
      }
    }
    starting = start();
    await starting;
    outputChannel.info('Driver Guard server restarted.');
  };

  let scanCancellation: vscode.CancellationTokenSource | undefined;
  const scanWorkspace = async (): Promise<ScanWorkspaceResult | undefined> => {
    if (scanCancellation) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Driver Guard: a workspace scan is already running.'));
      return undefined;
    }
    const cancellation = new vscode.CancellationTokenSource();
    scanCancellation = cancellation;
    void vscode.commands.executeCommand('setContext', 'driverGuard.scanning', true);
    try {
      // Progress on the checklist view (its title shows "Cancel Scan" meanwhile); the server adds a cancellable
      // notification with the file count. Either way of cancelling stops the server's scan loop.
      return await vscode.window.withProgress({ location: { viewId: CHECKLIST_VIEW_ID }, title: vscode.l10n.t('Driver Guard: scanning workspace'), cancellable: true }, (_progress, token) => {
        token.onCancellationRequested(() => cancellation.cancel());
        return runScan(cancellation.token);
      });
    } finally {
      cancellation.dispose();
      scanCancellation = undefined;
      void vscode.commands.executeCommand('setContext', 'driverGuard.scanning', false);
    }
  };

  const runScan = async (token: vscode.CancellationToken): Promise<ScanWorkspaceResult | undefined> => {
    await starting;
    if (!client) {
      void vscode.window.showErrorMessage('Driver Guard: the analysis server is not running. Run "Driver Guard: Restart Server".');
      return undefined;
    }
    if (!vscode.workspace.workspaceFolders?.length) {
      void vscode.window.showInformationMessage('Driver Guard: open a folder to scan a workspace.');
      return undefined;
    }
    try {
      const result = await client.sendRequest<ScanWorkspaceResult>(SCAN_WORKSPACE_REQUEST, {}, token);
      const verb = result.cancelled ? 'Scan cancelled after' : 'Scanned';
      void vscode.window.showInformationMessage(`Driver Guard: ${verb} ${result.files} files: ${result.findings} findings${result.skipped ? `, ${result.skipped} files skipped (see the Driver Guard output)` : ''}.`);
      return result;
    } catch (error) {
      if (token.isCancellationRequested) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Driver Guard: workspace scan cancelled.'));
        return { files: 0, findings: 0, skipped: 0, cancelled: true };
      }
      outputChannel.error(`Workspace scan failed: ${String(error)}`);
      void vscode.window.showErrorMessage(`Driver Guard: the workspace scan failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('driverGuard.restartServer', () => restartServer()),
    vscode.commands.registerCommand('driverGuard.scanWorkspace', () => scanWorkspace()),
    vscode.commands.registerCommand('driverGuard.cancelScan', () => scanCancellation?.cancel()),
    vscode.commands.registerCommand('driverGuard.showOutput', () => outputChannel.show()),
    { dispose: () => void client?.dispose() },
  );

  starting = start();
  await starting;

  return {
    get client() {
      return client;
    },
    ready: async () => {
      await starting;
    },
    restartServer,
    scanWorkspace,
    outputChannel,
    checklist,
    attackSurface,
  };
}

export async function deactivate(): Promise<void> {
  await client?.dispose();
  client = undefined;
}
