/**
 * The checklist feature: creates the tree view, keeps its evidence current from the language server
 * (`driverGuard/findings`, refreshed on `driverGuard/findingsChanged`), and registers the checklist commands.
 * Everything it creates is disposed with the extension.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ATTACK_SURFACE_REQUEST, FINDINGS_REQUEST, type AttackSurfaceParams, type AttackSurfaceResult, type FindingSummary, type FindingsResult } from '../../../shared/protocol';
import { SOURCE_GLOB } from '../client';
import { buildReport } from './report';
import { normalizeLink, progressOf, SCHEMA_URI_SCHEME, STATE_FILE_RELATIVE } from './state';
import { ChecklistProvider, CHECKLIST_VIEW_ID, showStoreError, type ChecklistNode, type FolderChecklist, type ItemNode } from './view';

export { CHECKLIST_VIEW_ID } from './view';
export type { ChecklistNode, ItemNode } from './view';

const FINDINGS_DEBOUNCE_MS = 250;

/** What the end-to-end tests (and other extensions) can reach through the extension's API. */
export interface ChecklistApi {
  readonly treeView: vscode.TreeView<ChecklistNode>;
  readonly provider: ChecklistProvider;
  /** Fires after the view refreshed from new state or evidence. */
  readonly onDidChange: vscode.Event<void>;
  /** The tree node of an item in a folder (the workspace's first folder by default). */
  itemNode(itemId: string, folderUri?: vscode.Uri): ItemNode | undefined;
  /** Ticks or clears an item exactly as the tree checkbox does. Resolves false when the change was refused. */
  setChecked(node: ItemNode, checked: boolean): Promise<boolean>;
  /** Asks the server for the current findings now (normally debounced after each change notification). */
  refreshFindings(): Promise<void>;
  /** The "Export Checklist Report" Markdown. */
  report(): string;
}

export interface ChecklistDeps {
  /** The current language client (replaced on restart); undefined while it is not running. */
  client(): LanguageClient | undefined;
  outputChannel: vscode.LogOutputChannel;
  /** The extension's source watcher (shared with the language client): a first source file ends the welcome view. */
  sourceWatcher: vscode.FileSystemWatcher;
}

export function registerChecklist(context: vscode.ExtensionContext, deps: ChecklistDeps): ChecklistApi & { onFindingsChanged(): void } {
  // `$schema` of the state file: the JSON language features ask for `driver-guard://schemas/<file>` here.
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(SCHEMA_URI_SCHEME, {
    provideTextDocumentContent: async (uri) => {
      const name = uri.path.replace(/^\/+/, '');
      if (uri.authority !== 'schemas' || !/^[\w.-]+\.schema\.json$/.test(name)) throw new Error(`Driver Guard has no schema at ${uri.toString()}`);
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(context.extensionUri, 'schemas', name)));
    },
  }));

  const provider = new ChecklistProvider();
  const treeView = vscode.window.createTreeView(CHECKLIST_VIEW_ID, { treeDataProvider: provider, manageCheckboxStateManually: true, showCollapseAll: true });
  context.subscriptions.push(provider, treeView);

  // Title description ("9 / 22 done") and badge (open findings tied to checklist items).
  const updateTitle = () => {
    const folders = provider.allFolders();
    let done = 0;
    let total = 0;
    let findings = 0;
    let broken = 0;
    for (const folder of folders) {
      const snapshot = folder.store.snapshot;
      if (snapshot && snapshot.kind !== 'ok') {
        broken++;
        continue;
      }
      const progress = progressOf(snapshot?.state);
      done += progress.done;
      total += progress.total;
      findings += folder.openFindingCount;
    }
    treeView.description = folders.length === 0 || provider.noSourceFiles ? undefined
      : broken === folders.length ? vscode.l10n.t('checklist file cannot be used')
        : vscode.l10n.t('{0} / {1} done', done, total);
    // The description is not drawn when the view is the container's only view (merged title): say it in the
    // message line too, with the open findings.
    treeView.message = folders.length === 0 || provider.noSourceFiles || broken === folders.length ? undefined
      : findings > 0
        ? vscode.l10n.t('{0} / {1} done · {2} open findings', done, total, findings)
        : vscode.l10n.t('{0} / {1} done', done, total);
    treeView.badge = findings > 0
      ? { value: findings, tooltip: findings === 1 ? vscode.l10n.t('1 open finding tied to a checklist item') : vscode.l10n.t('{0} open findings tied to checklist items', findings) }
      : undefined;
  };
  context.subscriptions.push(provider.onDidChangeState(updateTitle));

  // Checkbox: done ↔ open. Several items can change at once (multi-select).
  context.subscriptions.push(treeView.onDidChangeCheckboxState(async (event) => {
    for (const [node, state] of event.items) {
      if (node.kind === 'item') await setChecked(node, state === vscode.TreeItemCheckboxState.Checked);
    }
  }));

  async function setChecked(node: ItemNode, checked: boolean): Promise<boolean> {
    const saved = await provider.change(node.folder, node.item.id, { status: checked ? 'done' : 'open' });
    const findings = node.folder.byItem.get(node.item.id)?.length ?? 0;
    if (saved && checked && findings > 0) {
      // Never silently: the item also carries a warning icon and tooltip until the findings are gone.
      const show = vscode.l10n.t('Show Findings');
      void vscode.window.showWarningMessage(
        findings === 1
          ? vscode.l10n.t('"{0}" is marked done, but 1 finding tied to it is still open.', node.item.title)
          : vscode.l10n.t('"{0}" is marked done, but {1} findings tied to it are still open.', node.item.title, findings),
        show,
      ).then(async (choice) => {
        if (choice === show) await treeView.reveal(node, { expand: true, focus: true, select: true }).then(undefined, () => undefined);
      });
    }
    return saved;
  }

  // Evidence from the server, per folder.
  let findingsTimer: NodeJS.Timeout | undefined;
  let findingsRun: Promise<void> = Promise.resolve();
  const refreshFindings = (): Promise<void> => {
    findingsRun = findingsRun.then(async () => {
      const client = deps.client();
      if (!client?.isRunning()) return;
      for (const folder of provider.allFolders()) {
        try {
          const result = await client.sendRequest<FindingsResult>(FINDINGS_REQUEST, { folderUri: folder.folder.uri.toString() });
          folder.setFindings(result.findings);
          folder.surface = await client.sendRequest<AttackSurfaceResult>(ATTACK_SURFACE_REQUEST, { folderUri: folder.folder.uri.toString() } satisfies AttackSurfaceParams);
        } catch (error) {
          deps.outputChannel.warn(`Checklist: could not get findings for ${folder.folder.name}: ${String(error)}`);
        }
      }
      provider.refresh();
    });
    return findingsRun;
  };
  const onFindingsChanged = () => {
    if (findingsTimer) clearTimeout(findingsTimer);
    findingsTimer = setTimeout(() => {
      findingsTimer = undefined;
      void refreshFindings();
    }, FINDINGS_DEBOUNCE_MS);
  };
  context.subscriptions.push({ dispose: () => findingsTimer && clearTimeout(findingsTimer) });

  // First run: the welcome view when no C/C++ file is in the workspace.
  const checkSources = async () => {
    if (!vscode.workspace.workspaceFolders?.length) return;
    const found = await vscode.workspace.findFiles(SOURCE_GLOB, undefined, 1).then((files) => files.length > 0, () => true);
    const hide = !found && !context.workspaceState.get<boolean>('driverGuard.checklist.showAnyway', false);
    provider.noSourceFiles = hide;
    await vscode.commands.executeCommand('setContext', 'driverGuard.noSourceFiles', !found);
    provider.refresh();
  };
  context.subscriptions.push(deps.sourceWatcher.onDidCreate(() => {
    if (provider.noSourceFiles) void checkSources();
  }), vscode.workspace.onDidChangeWorkspaceFolders(() => void checkSources()));
  void checkSources();
  void provider.loadAll();
  // Belt and braces for missed file events (network drives, watcher limits): re-read when the view is shown or the
  // window gets focus. A read that finds the same text changes nothing.
  context.subscriptions.push(
    treeView.onDidChangeVisibility((event) => event.visible && void provider.loadAll()),
    vscode.window.onDidChangeWindowState((state) => state.focused && treeView.visible && void provider.loadAll()),
  );

  const api = {
    treeView,
    provider,
    onDidChange: provider.onDidChangeState,
    itemNode: (itemId: string, folderUri?: vscode.Uri) => {
      const folder = folderUri ? provider.folderFor(folderUri) : provider.allFolders()[0];
      return folder ? provider.itemNode(folder, itemId) : undefined;
    },
    setChecked,
    refreshFindings,
    report: () => buildReport(reportFolders(provider), new Date()),
    onFindingsChanged,
  };
  registerCommands(context, provider, api);
  return api;
}

function reportFolders(provider: ChecklistProvider) {
  return provider.allFolders().map((folder) => ({
    name: folder.folder.name,
    location: folder.folder.uri.fsPath,
    snapshot: folder.store.snapshot,
    findings: folder.findings,
    relative: (uri: string) => path.posix.relative(folder.folder.uri.path, vscode.Uri.parse(uri).path),
  }));
}

/** The folder a command is about: from its tree node or URI argument, else the only folder, else a picker. */
async function resolveFolder(provider: ChecklistProvider, argument: unknown, placeHolder: string): Promise<FolderChecklist | undefined> {
  if (argument && typeof argument === 'object' && 'folder' in argument && 'kind' in argument) return (argument as ChecklistNode).folder;
  if (argument instanceof vscode.Uri) return provider.folderFor(argument);
  const folders = provider.allFolders();
  if (folders.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Driver Guard: open a folder to use the security checklist.'));
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  const picked = await vscode.window.showWorkspaceFolderPick({ placeHolder });
  return picked ? provider.folderFor(picked.uri) : undefined;
}

function isItemNode(value: unknown): value is ItemNode {
  return Boolean(value && typeof value === 'object' && (value as ChecklistNode).kind === 'item');
}

function registerCommands(context: vscode.ExtensionContext, provider: ChecklistProvider, api: ChecklistApi): void {
  const command = (id: string, handler: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, handler));

  command('driverGuard.checklist.markDone', (node: unknown) => isItemNode(node) && api.setChecked(node, true));

  command('driverGuard.checklist.markNotApplicable', async (node: unknown, reason?: string) => {
    if (!isItemNode(node)) return false;
    if (reason === undefined) {
      const current = provider.stateOf(node.folder, node.item.id);
      const input = await vscode.window.showInputBox({
        title: vscode.l10n.t('Mark Not Applicable: {0}', node.item.title),
        prompt: vscode.l10n.t('Why does this item not apply to this driver? (optional, saved in {0})', STATE_FILE_RELATIVE),
        value: current.reason ?? '',
        ignoreFocusOut: true,
      });
      if (input === undefined) return false;
      reason = input;
    }
    return provider.change(node.folder, node.item.id, { status: 'not-applicable', reason: reason.trim() ? reason.trim() : null });
  });

  command('driverGuard.checklist.reopen', (node: unknown) => isItemNode(node) && provider.change(node.folder, node.item.id, { status: 'open' }));

  command('driverGuard.checklist.openDocumentation', (node: unknown) => {
    const item = node && typeof node === 'object' && 'item' in node ? (node as ItemNode).item : undefined;
    return item ? vscode.env.openExternal(vscode.Uri.parse(item.docsUrl)) : undefined;
  });

  command('driverGuard.checklist.editNote', async (node: unknown, note?: string) => {
    if (!isItemNode(node)) return false;
    if (note === undefined) {
      const item = node.item as { manualEvidence?: string; title: string };
      const input = await vscode.window.showInputBox({
        title: vscode.l10n.t('Note: {0}', item.title),
        prompt: item.manualEvidence ?? vscode.l10n.t('Evidence for this item (leave empty to remove the note).'),
        value: provider.stateOf(node.folder, node.item.id).note ?? '',
        ignoreFocusOut: true,
      });
      if (input === undefined) return false;
      note = input;
    }
    return provider.change(node.folder, node.item.id, { note: note.trim() ? note.trim() : null });
  });

  command('driverGuard.checklist.attachFile', async (node: unknown, files?: vscode.Uri[]) => {
    if (!isItemNode(node)) return false;
    const folderUri = node.folder.folder.uri;
    if (!files) {
      const candidates = await vscode.workspace.findFiles(new vscode.RelativePattern(node.folder.folder, '**/*'), undefined, 5000);
      const browse: vscode.QuickPickItem = { label: `$(folder-opened) ${vscode.l10n.t('Browse…')}`, alwaysShow: true };
      const items: (vscode.QuickPickItem & { uri?: vscode.Uri })[] = [
        browse,
        ...candidates
          .map((uri) => ({ uri, relative: path.posix.relative(folderUri.path, uri.path) }))
          .filter((entry) => !entry.relative.startsWith('.vscode/driver-security-checklist.json'))
          .sort((a, b) => a.relative.localeCompare(b.relative))
          .map((entry) => ({ label: path.posix.basename(entry.relative), description: path.posix.dirname(entry.relative) === '.' ? '' : path.posix.dirname(entry.relative), uri: entry.uri })),
      ];
      const picked = await vscode.window.showQuickPick(items, {
        title: vscode.l10n.t('Attach File: {0}', node.item.title),
        placeHolder: vscode.l10n.t('Evidence file in "{0}" (threat model, review notes, test logs, …)', node.folder.folder.name),
        canPickMany: false,
        matchOnDescription: true,
      });
      if (!picked) return false;
      if (picked === browse) {
        files = await vscode.window.showOpenDialog({ defaultUri: folderUri, canSelectMany: true, openLabel: vscode.l10n.t('Attach') });
        if (!files?.length) return false;
      } else {
        files = [picked.uri!];
      }
    }
    const links: string[] = [];
    for (const file of files) {
      const link = vscode.workspace.getWorkspaceFolder(file)?.uri.toString() === folderUri.toString() ? normalizeLink(path.posix.relative(folderUri.path, file.path)) : undefined;
      if (!link) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Driver Guard: "{0}" is not inside the folder "{1}"; attach files from the folder so the link works for the whole team.', file.fsPath, node.folder.folder.name));
        return false;
      }
      links.push(link);
    }
    return provider.change(node.folder, node.item.id, { addLinks: links });
  });

  // "Export Threat Model" offers to attach the report to the threat-model item.
  command('driverGuard.checklist.attachThreatModel', (folderUri: vscode.Uri, file: vscode.Uri) => {
    const folder = provider.folderFor(folderUri);
    const node = folder ? provider.itemNode(folder, 'checklist.threat-model') : undefined;
    return node ? vscode.commands.executeCommand('driverGuard.checklist.attachFile', node, [file]) : false;
  });

  command('driverGuard.checklist.removeLink', (node: unknown) => {
    const link = node as Extract<ChecklistNode, { kind: 'link' }>;
    return link?.kind === 'link' ? provider.change(link.folder, link.item.id, { removeLinks: [link.link] }) : false;
  });

  command('driverGuard.checklist.removeNote', (node: unknown) => {
    const note = node as ChecklistNode;
    return note && (note.kind === 'note' || note.kind === 'item') ? provider.change(note.folder, note.item.id, { note: null }) : false;
  });

  command('driverGuard.checklist.openFinding', async (finding: FindingSummary) => {
    if (!finding?.uri) return;
    const range = new vscode.Range(finding.line, finding.character, finding.endLine, finding.endCharacter);
    await vscode.window.showTextDocument(vscode.Uri.parse(finding.uri), { selection: range, preview: true });
  });

  command('driverGuard.checklist.openStateFile', async (argument?: unknown) => {
    const folder = await resolveFolder(provider, argument, vscode.l10n.t('Open the checklist file of which folder?'));
    if (!folder) return;
    try {
      await vscode.window.showTextDocument(folder.fileUri);
    } catch {
      void vscode.window.showInformationMessage(vscode.l10n.t('Driver Guard: "{0}" has no checklist file yet; it is created when you change an item.', folder.folder.name));
    }
  });

  command('driverGuard.checklist.backupAndReset', async (argument?: unknown, options?: { confirmed?: boolean }) => {
    const folder = await resolveFolder(provider, argument, vscode.l10n.t('Back up and reset the checklist of which folder?'));
    if (!folder) return undefined;
    if (!options?.confirmed) {
      const confirm = vscode.l10n.t('Back Up and Reset');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('Back up and reset the checklist of "{0}"?', folder.folder.name),
        { modal: true, detail: vscode.l10n.t('The current file is copied to {0}.bak-<timestamp>, then a fresh checklist (every item open) is written.', STATE_FILE_RELATIVE) },
        confirm,
      );
      if (choice !== confirm) return undefined;
    }
    try {
      const backup = await folder.store.backupAndReset();
      provider.refresh();
      if (backup) void vscode.window.showInformationMessage(vscode.l10n.t('Driver Guard: the old checklist file was saved as {0}.', path.basename(backup)));
      return backup;
    } catch (error) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Driver Guard: could not back up and reset the checklist of "{0}": {1}', folder.folder.name, error instanceof Error ? error.message : String(error)));
      return undefined;
    }
  });

  command('driverGuard.resetChecklist', async (argument?: unknown, options?: { confirmed?: boolean }) => {
    const folder = await resolveFolder(provider, argument, vscode.l10n.t('Reset the checklist of which folder?'));
    if (!folder) return false;
    if (!options?.confirmed) {
      const confirm = vscode.l10n.t('Reset');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('Reset the security checklist of "{0}"?', folder.folder.name),
        { modal: true, detail: vscode.l10n.t('Every item goes back to open and its notes, reasons and links are removed from {0}. Use your version control to undo.', STATE_FILE_RELATIVE) },
        confirm,
      );
      if (choice !== confirm) return false;
    }
    try {
      await folder.store.reset();
      return true;
    } catch (error) {
      void showStoreError(folder, error);
      return false;
    } finally {
      provider.refresh();
    }
  });

  command('driverGuard.exportChecklistReport', async () => {
    if (provider.allFolders().length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Driver Guard: open a folder to export its security checklist.'));
      return undefined;
    }
    await api.refreshFindings();
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: api.report() });
    await vscode.window.showTextDocument(document, { preview: false });
    return document;
  });

  command('driverGuard.checklist.refresh', async () => {
    await Promise.all(provider.allFolders().map((folder) => folder.store.load().catch(() => undefined)));
    await api.refreshFindings();
    provider.refresh();
  });

  command('driverGuard.checklist.showAnyway', async () => {
    await context.workspaceState.update('driverGuard.checklist.showAnyway', true);
    provider.noSourceFiles = false;
    provider.refresh();
  });
}
