/**
 * The attack-surface feature: the "Attack Surface" view (refreshed from `driverGuard/attackSurface` after each
 * `driverGuard/findingsChanged`, so it follows typing and the workspace scan) and the "Export Threat Model"
 * command, which writes the server's Markdown threat model into the workspace folder. Nothing from the workspace
 * runs: the view and the export work in Restricted Mode too (the report is a file the user asked for).
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ATTACK_SURFACE_REQUEST, type AttackSurfaceParams, type AttackSurfaceResult } from '../../../shared/protocol';
import { ATTACK_SURFACE_VIEW_ID, AttackSurfaceProvider, OPEN_LOCATION_COMMAND, type SurfaceNode } from './view';

export { ATTACK_SURFACE_VIEW_ID } from './view';
export type { SurfaceNode } from './view';

/** The report's name in the folder. */
export const THREAT_MODEL_FILE = 'threat-model.md';
const REFRESH_DEBOUNCE_MS = 250;

export interface AttackSurfaceApi {
  readonly treeView: vscode.TreeView<SurfaceNode>;
  readonly provider: AttackSurfaceProvider;
  /** Fires after the view got new models. */
  readonly onDidChange: vscode.Event<void>;
  /** Asks the server now (normally debounced after each change notification). */
  refresh(): Promise<void>;
  /** The current model of a folder (the first folder by default). */
  model(folderUri?: vscode.Uri): AttackSurfaceResult | undefined;
  /** "Export Threat Model": writes <folder>/threat-model.md; resolves to its URI (undefined when cancelled). */
  exportThreatModel(folderUri?: vscode.Uri, options?: { overwrite?: boolean }): Promise<vscode.Uri | undefined>;
  /** "Show Data-Flow Diagram": the webview with each driver's diagram. */
  showDataFlow(folderUri?: vscode.Uri): Promise<vscode.WebviewPanel | undefined>;
}

export interface AttackSurfaceDeps {
  client(): LanguageClient | undefined;
  outputChannel: vscode.LogOutputChannel;
}

export function registerAttackSurface(context: vscode.ExtensionContext, deps: AttackSurfaceDeps): AttackSurfaceApi & { onFindingsChanged(): void } {
  const provider = new AttackSurfaceProvider();
  const treeView = vscode.window.createTreeView(ATTACK_SURFACE_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  context.subscriptions.push(provider, treeView);

  const updateTitle = () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const models = folders.map((folder) => provider.modelOf(folder)).filter((model): model is AttackSurfaceResult => model !== undefined);
    const findings = models.reduce((sum, model) => sum + model.surface.summary.findings, 0);
    treeView.description = models.length === 1 ? models[0].summary : undefined;
    treeView.badge = undefined; // the checklist's badge already counts open findings
    treeView.message = findings > 0 ? vscode.l10n.t('{0} open findings in entry points', findings) : undefined;
  };
  context.subscriptions.push(provider.onDidChangeModel(updateTitle));

  let run: Promise<void> = Promise.resolve();
  const refresh = (): Promise<void> => {
    run = run.then(async () => {
      const client = deps.client();
      if (!client?.isRunning()) {
        provider.status = 'unavailable';
        provider.refresh();
        return;
      }
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        try {
          provider.setModel(folder, await client.sendRequest<AttackSurfaceResult>(ATTACK_SURFACE_REQUEST, { folderUri: folder.uri.toString() } satisfies AttackSurfaceParams));
        } catch (error) {
          deps.outputChannel.warn(`Attack surface: could not get the model of ${folder.name}: ${String(error)}`);
        }
      }
      provider.status = 'ready';
      provider.refresh();
    });
    return run;
  };
  let timer: NodeJS.Timeout | undefined;
  const onFindingsChanged = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void refresh();
    }, REFRESH_DEBOUNCE_MS);
  };
  context.subscriptions.push({ dispose: () => timer && clearTimeout(timer) }, vscode.workspace.onDidChangeWorkspaceFolders(() => onFindingsChanged()));

  const folderOf = async (folderUri?: vscode.Uri): Promise<vscode.WorkspaceFolder | undefined> => {
    if (folderUri) return vscode.workspace.getWorkspaceFolder(folderUri);
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length <= 1) return folders[0];
    return vscode.window.showWorkspaceFolderPick({ placeHolder: vscode.l10n.t('Export the threat model of which folder?') });
  };

  const exportThreatModel = async (folderUri?: vscode.Uri, options?: { overwrite?: boolean }): Promise<vscode.Uri | undefined> => {
    const folder = await folderOf(folderUri);
    if (!folder) {
      if (!vscode.workspace.workspaceFolders?.length) void vscode.window.showInformationMessage(vscode.l10n.t('Driver Guard: open a driver\'s folder to export its threat model.'));
      return undefined;
    }
    const client = deps.client();
    if (!client?.isRunning()) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Driver Guard: the analysis server is not running. Run "Driver Guard: Restart Server".'));
      return undefined;
    }
    const result = await client.sendRequest<AttackSurfaceResult>(ATTACK_SURFACE_REQUEST, { folderUri: folder.uri.toString(), report: true, title: `Threat model: ${folder.name}`, diagrams: THREAT_MODEL_FILE.replace(/\.md$/, '') } satisfies AttackSurfaceParams);
    if (result.surface.drivers.length === 0) {
      const scan = vscode.l10n.t('Scan Workspace');
      const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Driver Guard: no driver found in "{0}" yet. Open its sources or scan the workspace first.', folder.name), scan);
      if (choice === scan) await vscode.commands.executeCommand('driverGuard.scanWorkspace');
      return undefined;
    }
    const target = vscode.Uri.joinPath(folder.uri, THREAT_MODEL_FILE);
    const exists = await vscode.workspace.fs.stat(target).then(() => true, () => false);
    if (exists && !options?.overwrite) {
      const replace = vscode.l10n.t('Replace');
      const choice = await vscode.window.showWarningMessage(vscode.l10n.t('{0} already exists in "{1}". Replace it?', THREAT_MODEL_FILE, folder.name), { modal: true }, replace);
      if (choice !== replace) return undefined;
    }
    // The data-flow pictures first: the report embeds them.
    for (const diagram of result.diagrams ?? []) await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder.uri, diagram.file), new TextEncoder().encode(diagram.svg));
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(result.report ?? ''));
    await vscode.window.showTextDocument(target, { preview: false });
    const attach = vscode.l10n.t('Attach to Checklist');
    void vscode.window.showInformationMessage(vscode.l10n.t('Driver Guard: wrote {0} ({1}).', THREAT_MODEL_FILE, result.summary), attach).then((choice) => {
      if (choice === attach) void vscode.commands.executeCommand('driverGuard.checklist.attachThreatModel', folder.uri, target);
    });
    return target;
  };

  /** "Show Data-Flow Diagram": the drivers' SVGs in a webview with no script and no network access. */
  let panel: vscode.WebviewPanel | undefined;
  const showDataFlow = async (folderUri?: vscode.Uri): Promise<vscode.WebviewPanel | undefined> => {
    const folder = await folderOf(folderUri);
    const client = deps.client();
    if (!folder || !client?.isRunning()) return undefined;
    const result = await client.sendRequest<AttackSurfaceResult>(ATTACK_SURFACE_REQUEST, { folderUri: folder.uri.toString(), diagrams: 'data-flow' } satisfies AttackSurfaceParams);
    if (!panel) {
      const created = vscode.window.createWebviewPanel('driverGuard.dataFlow', vscode.l10n.t('Data Flow: {0}', folder.name), vscode.ViewColumn.Beside, { enableScripts: false, localResourceRoots: [] });
      created.onDidDispose(() => (panel = undefined));
      panel = created;
    }
    panel.title = vscode.l10n.t('Data Flow: {0}', folder.name);
    panel.webview.html = dataFlowHtml(folder.name, result);
    panel.reveal(undefined, true);
    return panel;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('driverGuard.showDataFlow', (argument?: unknown) => showDataFlow(argument instanceof vscode.Uri ? argument : undefined)),
    vscode.commands.registerCommand(OPEN_LOCATION_COMMAND, async (file: string, line: number, character = 0) => {
      const position = new vscode.Position(line, character);
      await vscode.window.showTextDocument(vscode.Uri.parse(file), { selection: new vscode.Range(position, position), preview: true });
    }),
    vscode.commands.registerCommand('driverGuard.exportThreatModel', (argument?: unknown, options?: { overwrite?: boolean }) =>
      exportThreatModel(argument instanceof vscode.Uri ? argument : undefined, options)),
    vscode.commands.registerCommand('driverGuard.attackSurface.refresh', () => refresh()),
  );

  return {
    treeView,
    provider,
    onDidChange: provider.onDidChangeModel,
    refresh,
    model: (folderUri?: vscode.Uri) => {
      const folder = folderUri ? vscode.workspace.getWorkspaceFolder(folderUri) : vscode.workspace.workspaceFolders?.[0];
      return folder ? provider.modelOf(folder) : undefined;
    },
    exportThreatModel,
    showDataFlow,
    onFindingsChanged,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The webview page: the SVGs inline; the CSP allows no script, no network, only inline styles and images. */
export function dataFlowHtml(folderName: string, result: AttackSurfaceResult): string {
  const diagrams = result.diagrams ?? [];
  const body = diagrams.length === 0
    ? `<p>${escapeHtml(vscode.l10n.t('No driver found in "{0}" yet: open its sources or run Scan Workspace.', folderName))}</p>`
    : diagrams.map((diagram) => `<section><h2>${escapeHtml(diagram.driver)}</h2><div class="diagram">${diagram.svg}</div></section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;">
<title>${escapeHtml(folderName)}</title>
<style>body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:0 16px}.diagram{overflow:auto;background:#fff;border-radius:6px;padding:4px;margin-bottom:16px}h2{font-size:1.1em}</style>
</head><body><h1>${escapeHtml(vscode.l10n.t('Data flow: {0}', folderName))}</h1><p>${escapeHtml(result.summary)}</p>${body}</body></html>`;
}
