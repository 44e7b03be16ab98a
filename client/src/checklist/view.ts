/**
 * The "Checklist" tree view of the "Driver Security" container: every checklist item per workspace folder, grouped
 * Design / Code / Review and test / Ship, with native checkboxes, the analyzer's findings as evidence, notes and
 * linked files. State lives in `ChecklistStore` (one per folder); this file only maps it to tree items.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CHECKLIST_GROUPS, CHECKLIST_ITEMS, type ChecklistGroup, type ChecklistItem } from '../../../shared/checklist-items';
import type { AttackSurfaceResult, FindingSummary } from '../../../shared/protocol';
import { resolveAuthor } from './identity';
import { findingsByItem } from './report';
import { itemState, progressOf, STATE_FILE_RELATIVE, type ItemChange, type ItemState } from './state';
import { ChecklistFileError, ChecklistStore, type StoreSnapshot } from './store';

export const CHECKLIST_VIEW_ID = 'driverGuard.checklist';
/** At most this many findings are listed under one item; the rest are summarized in one row. */
const MAX_FINDINGS_PER_ITEM = 50;

/** One workspace folder's checklist: its store, watcher and current evidence. */
export class FolderChecklist implements vscode.Disposable {
  readonly store: ChecklistStore;
  findings: FindingSummary[] = [];
  byItem = new Map<string, FindingSummary[]>();
  /** The folder's attack surface (model facts shown as evidence of the threat-model and access-control items). */
  surface?: AttackSurfaceResult;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly folder: vscode.WorkspaceFolder, onChange: () => void) {
    let author: Promise<string | undefined> | undefined;
    this.store = new ChecklistStore(path.join(folder.uri.fsPath, ...STATE_FILE_RELATIVE.split('/')), {
      // Resolved once per folder (and again when trust changes): `git config` runs only in a trusted workspace.
      author: () => (author ??= resolveAuthor({ trusted: vscode.workspace.isTrusted, cwd: folder.uri.fsPath })),
    });
    const listener = this.store.onDidChange(() => onChange());
    // A glob (not the plain path) so the workspace's recursive watcher serves it, and `.vscode` itself too: when
    // `.vscode/` and the file appear at once (the first `git pull` of a shared checklist), the file's own event
    // can be lost while the new directory is being watched; the directory's event then triggers the read.
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `**/${path.posix.dirname(STATE_FILE_RELATIVE)}{,/${path.posix.basename(STATE_FILE_RELATIVE)}}`));
    const target = vscode.Uri.file(this.store.filePath).toString();
    const targetDir = vscode.Uri.file(path.dirname(this.store.filePath)).toString();
    let again: NodeJS.Timeout | undefined;
    const reload = (uri: vscode.Uri) => {
      const key = uri.toString();
      if (key !== target && key !== targetDir) return;
      void this.store.load().catch(() => undefined);
      if (key === targetDir) {
        // The file may still be being written when the directory event arrives.
        if (again) clearTimeout(again);
        again = setTimeout(() => void this.store.load().catch(() => undefined), 500);
      }
    };
    this.disposables.push({ dispose: () => again && clearTimeout(again) });
    this.disposables.push(
      { dispose: () => listener.dispose() },
      watcher,
      watcher.onDidChange(reload),
      watcher.onDidCreate(reload),
      watcher.onDidDelete(reload),
      vscode.workspace.onDidGrantWorkspaceTrust(() => (author = undefined)),
    );
  }

  get fileUri(): vscode.Uri {
    return vscode.Uri.file(this.store.filePath);
  }

  setFindings(findings: FindingSummary[]): void {
    this.findings = findings;
    this.byItem = findingsByItem(findings);
  }

  /** Open findings tied to known checklist items. */
  get openFindingCount(): number {
    return CHECKLIST_ITEMS.reduce((sum, item) => sum + (this.byItem.get(item.id)?.length ?? 0), 0);
  }

  dispose(): void {
    this.disposables.forEach((disposable) => disposable.dispose());
  }
}

export type ChecklistNode =
  | { readonly kind: 'folder'; readonly id: string; readonly folder: FolderChecklist }
  | { readonly kind: 'group'; readonly id: string; readonly folder: FolderChecklist; readonly group: ChecklistGroup }
  | { readonly kind: 'item'; readonly id: string; readonly folder: FolderChecklist; readonly item: ChecklistItem }
  | { readonly kind: 'finding'; readonly id: string; readonly folder: FolderChecklist; readonly item: ChecklistItem; readonly finding: FindingSummary }
  | { readonly kind: 'more'; readonly id: string; readonly folder: FolderChecklist; readonly item: ChecklistItem; readonly count: number }
  | { readonly kind: 'note'; readonly id: string; readonly folder: FolderChecklist; readonly item: ChecklistItem }
  | { readonly kind: 'link'; readonly id: string; readonly folder: FolderChecklist; readonly item: ChecklistItem; readonly link: string }
  | { readonly kind: 'fact'; readonly id: string; readonly folder: FolderChecklist; readonly item: ChecklistItem; readonly fact: SurfaceFact }
  | { readonly kind: 'error'; readonly id: string; readonly folder: FolderChecklist };

export type ItemNode = Extract<ChecklistNode, { kind: 'item' }>;

/** A fact of the attack-surface model shown under a checklist item (not a finding: it never warns or counts). */
export interface SurfaceFact {
  label: string;
  tooltip: string;
  icon: string;
  command?: vscode.Command;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The model facts that are evidence for an item: the attack surface for the threat model, device and IOCTL access for access control. */
export function surfaceFacts(folder: FolderChecklist, itemId: string): SurfaceFact[] {
  const surface = folder.surface;
  if (!surface || surface.surface.drivers.length === 0) return [];
  const counts = surface.surface.summary;
  const focus: vscode.Command = { command: 'driverGuard.attackSurface.focus', title: vscode.l10n.t('Show Attack Surface') };
  const drivers = surface.surface.drivers.length;
  switch (itemId) {
    case 'checklist.threat-model':
      return [
        { label: vscode.l10n.t('Attack surface: {0}', surface.summary), tooltip: vscode.l10n.t('{0} drawn from the code: the entry points a threat model starts from. Click to show the Attack Surface view.', plural(drivers, 'driver')), icon: 'shield', command: focus },
        { label: vscode.l10n.t('Export the threat model drawn from the code'), tooltip: vscode.l10n.t('Writes threat-model.md (entry points, data-flow diagram, STRIDE per entry point) into the folder; attach it here as evidence.'), icon: 'export', command: { command: 'driverGuard.exportThreatModel', title: vscode.l10n.t('Export Threat Model'), arguments: [folder.folder.uri] } },
      ];
    case 'checklist.access-control':
    case 'checklist.control-software-only-access': {
      const devices = [plural(counts.devices, 'device')];
      if (counts.openToAnyUser > 0) devices.push(vscode.l10n.t('{0} open to any user', counts.openToAnyUser));
      if (counts.defaultSecurity > 0) devices.push(vscode.l10n.t('{0} with default security', counts.defaultSecurity));
      if (counts.withoutSecureOpen > 0) devices.push(vscode.l10n.t('{0} without FILE_DEVICE_SECURE_OPEN', counts.withoutSecureOpen));
      const facts: SurfaceFact[] = [{ label: devices.join(', '), tooltip: vscode.l10n.t('Who can open the devices, from the SDDL and characteristics in the code (the INF may add a security descriptor).'), icon: counts.openToAnyUser + counts.defaultSecurity > 0 ? 'unlock' : 'lock', command: focus }];
      if (itemId === 'checklist.access-control') {
        const ioctls = [plural(counts.ioctls, 'IOCTL')];
        if (counts.anyAccess > 0) ioctls.push(vscode.l10n.t('{0} FILE_ANY_ACCESS', counts.anyAccess));
        if (counts.methodNeither > 0) ioctls.push(vscode.l10n.t('{0} METHOD_NEITHER', counts.methodNeither));
        facts.push({ label: ioctls.join(', '), tooltip: vscode.l10n.t('The access each handled IOCTL requires and its transfer method, from the CTL_CODE definitions.'), icon: 'symbol-constant', command: focus });
      }
      return facts;
    }
    default:
      return [];
  }
}

const STATUS_LABEL = {
  open: () => vscode.l10n.t('Open'),
  done: () => vscode.l10n.t('Done'),
  'not-applicable': () => vscode.l10n.t('Not applicable'),
};

export class ChecklistProvider implements vscode.TreeDataProvider<ChecklistNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ChecklistNode | undefined | void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly folders = new Map<string, FolderChecklist>();
  /** Nodes are cached by id so `reveal` and `getParent` see the same objects across refreshes. */
  private readonly nodes = new Map<string, ChecklistNode>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  /** Fires after the tree was refreshed from new state or evidence (tests wait on it). */
  readonly onDidChangeState = this.stateEmitter.event;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** No C/C++ file in the workspace: the tree stays empty so the welcome view shows, until "Show Checklist Anyway". */
  noSourceFiles = false;

  constructor() {
    this.syncFolders();
    this.disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => {
      this.syncFolders();
      this.refresh();
    }));
  }

  /** Loads every folder's file (asynchronous: activation never waits for it). */
  async loadAll(): Promise<void> {
    // Each store tells its listener (→ refresh) only when the file changed.
    await Promise.all([...this.folders.values()].map((folder) => folder.store.load().catch(() => undefined)));
  }

  allFolders(): FolderChecklist[] {
    return [...this.folders.values()];
  }

  folderFor(uri: vscode.Uri | string | undefined): FolderChecklist | undefined {
    if (!uri) return undefined;
    const key = typeof uri === 'string' ? uri : uri.toString();
    const direct = this.folders.get(key);
    if (direct) return direct;
    const folder = vscode.workspace.getWorkspaceFolder(typeof uri === 'string' ? vscode.Uri.parse(uri) : uri);
    return folder ? this.folders.get(folder.uri.toString()) : undefined;
  }

  private syncFolders(): void {
    const current = new Set((vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.toString()));
    for (const [key, entry] of this.folders) {
      if (!current.has(key)) {
        entry.dispose();
        this.folders.delete(key);
      }
    }
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const key = folder.uri.toString();
      if (this.folders.has(key)) continue;
      const entry = new FolderChecklist(folder, () => this.refresh());
      this.folders.set(key, entry);
      void entry.store.load().catch(() => undefined);
    }
    this.nodes.clear();
  }

  /** Coalesces refreshes (a scan or a burst of file events sends several). */
  refresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      // Evidence rows come and go with every analysis: forget them so the cache stays small. Folders, groups and
      // items keep their identity (reveal, selection).
      for (const [id, node] of this.nodes) if (node.kind === 'finding' || node.kind === 'more' || node.kind === 'fact') this.nodes.delete(id);
      this.changeEmitter.fire();
      this.stateEmitter.fire();
    }, 20);
  }

  private node<T extends ChecklistNode>(value: T): T {
    const existing = this.nodes.get(value.id) as T | undefined;
    if (existing && existing.kind === value.kind) {
      // Keep identity; refresh the data that may change (a finding's position, a "more" count).
      Object.assign(existing, value);
      return existing;
    }
    this.nodes.set(value.id, value);
    return value;
  }

  private folderKey(folder: FolderChecklist): string {
    return folder.folder.uri.toString();
  }

  private get multiRoot(): boolean {
    return this.folders.size > 1;
  }

  itemNode(folder: FolderChecklist, itemId: string): ItemNode | undefined {
    const item = CHECKLIST_ITEMS.find((candidate) => candidate.id === itemId);
    return item ? this.node({ kind: 'item', id: `${this.folderKey(folder)}#${item.id}`, folder, item }) : undefined;
  }

  private folderChildren(folder: FolderChecklist): ChecklistNode[] {
    const snapshot = folder.store.snapshot;
    if (snapshot && snapshot.kind !== 'ok') return [this.node({ kind: 'error', id: `${this.folderKey(folder)}#error`, folder })];
    return CHECKLIST_GROUPS.map((group) => this.node({ kind: 'group', id: `${this.folderKey(folder)}#group:${group}`, folder, group }));
  }

  getChildren(element?: ChecklistNode): ChecklistNode[] {
    if (!element) {
      if (this.noSourceFiles) return [];
      const folders = this.allFolders();
      if (folders.length === 0) return [];
      if (folders.length === 1) return this.folderChildren(folders[0]);
      return folders.map((folder) => this.node({ kind: 'folder', id: `${this.folderKey(folder)}#folder`, folder }));
    }
    switch (element.kind) {
      case 'folder':
        return this.folderChildren(element.folder);
      case 'group':
        return CHECKLIST_ITEMS.filter((item) => item.group === element.group).map((item) => this.itemNode(element.folder, item.id)!);
      case 'item':
        return this.itemChildren(element);
      default:
        return [];
    }
  }

  private itemChildren(element: ItemNode): ChecklistNode[] {
    const { folder, item } = element;
    const base = `${this.folderKey(folder)}#${item.id}`;
    const children: ChecklistNode[] = [];
    const state = this.stateOf(folder, item.id);
    if (state.note) children.push(this.node({ kind: 'note', id: `${base}#note`, folder, item }));
    for (const link of state.links ?? []) children.push(this.node({ kind: 'link', id: `${base}#link:${link}`, folder, item, link }));
    surfaceFacts(folder, item.id).forEach((fact, index) => children.push(this.node({ kind: 'fact', id: `${base}#fact:${index}`, folder, item, fact })));
    const findings = folder.byItem.get(item.id) ?? [];
    const seen = new Map<string, number>();
    for (const finding of findings.slice(0, MAX_FINDINGS_PER_ITEM)) {
      // Two findings of one rule at one position (different messages) still get distinct nodes.
      const key = `${finding.uri}:${finding.line}:${finding.character}:${finding.ruleId}`;
      const occurrence = seen.get(key) ?? 0;
      seen.set(key, occurrence + 1);
      children.push(this.node({ kind: 'finding', id: `${base}#finding:${key}:${occurrence}`, folder, item, finding }));
    }
    if (findings.length > MAX_FINDINGS_PER_ITEM) children.push(this.node({ kind: 'more', id: `${base}#more`, folder, item, count: findings.length - MAX_FINDINGS_PER_ITEM }));
    return children;
  }

  getParent(element: ChecklistNode): ChecklistNode | undefined {
    const { folder } = element;
    const folderNode = this.multiRoot ? this.node({ kind: 'folder', id: `${this.folderKey(folder)}#folder`, folder }) : undefined;
    switch (element.kind) {
      case 'folder':
        return undefined;
      case 'group':
      case 'error':
        return folderNode;
      case 'item':
        return this.node({ kind: 'group', id: `${this.folderKey(folder)}#group:${element.item.group}`, folder, group: element.item.group });
      default:
        return this.itemNode(folder, element.item.id);
    }
  }

  stateOf(folder: FolderChecklist, itemId: string): ItemState {
    const snapshot = folder.store.snapshot;
    return snapshot?.kind === 'ok' ? itemState(snapshot.state, itemId) : { status: 'open' };
  }

  getTreeItem(element: ChecklistNode): vscode.TreeItem {
    switch (element.kind) {
      case 'folder':
        return this.folderItem(element.folder);
      case 'group':
        return this.groupItem(element.folder, element.group);
      case 'item':
        return this.checklistItem(element);
      case 'finding':
        return this.findingItem(element.folder, element.finding);
      case 'more': {
        const treeItem = new vscode.TreeItem(vscode.l10n.t('{0} more findings', element.count));
        treeItem.iconPath = new vscode.ThemeIcon('ellipsis');
        treeItem.tooltip = vscode.l10n.t('See the Problems panel for all findings.');
        treeItem.command = { command: 'workbench.actions.view.problems', title: vscode.l10n.t('Show Problems') };
        return treeItem;
      }
      case 'note': {
        const note = this.stateOf(element.folder, element.item.id).note ?? '';
        const treeItem = new vscode.TreeItem(note.split(/\r?\n/)[0]);
        treeItem.id = element.id;
        treeItem.iconPath = new vscode.ThemeIcon('note');
        treeItem.tooltip = new vscode.MarkdownString().appendText(note);
        treeItem.contextValue = 'checklistNote';
        treeItem.command = { command: 'driverGuard.checklist.editNote', title: vscode.l10n.t('Edit Note…'), arguments: [this.itemNode(element.folder, element.item.id)] };
        treeItem.accessibilityInformation = { label: vscode.l10n.t('Note: {0}', note) };
        return treeItem;
      }
      case 'link': {
        const uri = vscode.Uri.joinPath(element.folder.folder.uri, ...element.link.split('/'));
        const treeItem = new vscode.TreeItem(uri);
        treeItem.id = element.id;
        treeItem.label = path.posix.basename(element.link);
        treeItem.description = path.posix.dirname(element.link) === '.' ? undefined : path.posix.dirname(element.link);
        treeItem.iconPath = vscode.ThemeIcon.File;
        treeItem.tooltip = element.link;
        treeItem.contextValue = 'checklistLink';
        treeItem.command = { command: 'vscode.open', title: vscode.l10n.t('Open File'), arguments: [uri] };
        return treeItem;
      }
      case 'fact': {
        const treeItem = new vscode.TreeItem(element.fact.label);
        treeItem.id = element.id;
        treeItem.iconPath = new vscode.ThemeIcon(element.fact.icon);
        treeItem.tooltip = element.fact.tooltip;
        treeItem.contextValue = 'checklistFact';
        treeItem.command = element.fact.command;
        return treeItem;
      }
      case 'error':
        return this.errorItem(element.folder);
    }
  }

  private folderItem(folder: FolderChecklist): vscode.TreeItem {
    const treeItem = new vscode.TreeItem(folder.folder.name, vscode.TreeItemCollapsibleState.Expanded);
    treeItem.id = `${this.folderKey(folder)}#folder`;
    treeItem.iconPath = new vscode.ThemeIcon('root-folder');
    treeItem.contextValue = 'checklistFolder';
    const snapshot = folder.store.snapshot;
    if (snapshot && snapshot.kind !== 'ok') {
      treeItem.description = vscode.l10n.t('checklist file cannot be used');
    } else {
      const progress = progressOf(snapshot?.state);
      treeItem.description = vscode.l10n.t('{0} / {1} done', progress.done, progress.total);
    }
    treeItem.tooltip = folder.store.filePath;
    return treeItem;
  }

  private groupItem(folder: FolderChecklist, group: ChecklistGroup): vscode.TreeItem {
    const treeItem = new vscode.TreeItem(group, vscode.TreeItemCollapsibleState.Expanded);
    treeItem.id = `${this.folderKey(folder)}#group:${group}`;
    const items = CHECKLIST_ITEMS.filter((item) => item.group === group);
    const statuses = items.map((item) => this.stateOf(folder, item.id).status);
    const done = statuses.filter((status) => status === 'done').length;
    const total = statuses.filter((status) => status !== 'not-applicable').length;
    treeItem.description = vscode.l10n.t('{0} / {1}', done, total);
    treeItem.contextValue = 'checklistGroup';
    return treeItem;
  }

  private checklistItem(element: ItemNode): vscode.TreeItem {
    const { folder, item } = element;
    const state = this.stateOf(folder, item.id);
    const findings = folder.byItem.get(item.id) ?? [];
    const hasChildren = Boolean(state.note || state.links?.length || findings.length || surfaceFacts(folder, item.id).length);
    const treeItem = new vscode.TreeItem(item.title, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    treeItem.id = element.id;
    treeItem.checkboxState = {
      state: state.status === 'done' ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked,
      tooltip: state.status === 'done' ? vscode.l10n.t('Done: clear to reopen') : vscode.l10n.t('Mark done'),
      accessibilityInformation: { label: vscode.l10n.t('{0}: {1}', item.title, STATUS_LABEL[state.status]()) },
    };
    const parts: string[] = [];
    if (state.status === 'not-applicable') parts.push(state.reason ? vscode.l10n.t('not applicable: {0}', state.reason) : vscode.l10n.t('not applicable'));
    if (findings.length) parts.push(findings.length === 1 ? vscode.l10n.t('1 finding') : vscode.l10n.t('{0} findings', findings.length));
    if (!parts.length) parts.push(item.description);
    treeItem.description = parts.join(' · ');

    const warning = state.status === 'done' && findings.length > 0;
    if (warning) treeItem.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    else if (state.status === 'not-applicable') treeItem.iconPath = new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));

    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**${escapeMarkdown(item.title)}** — ${STATUS_LABEL[state.status]()}\n\n`);
    if (warning) tooltip.appendMarkdown(`$(warning) ${escapeMarkdown(findings.length === 1 ? vscode.l10n.t('Marked done, but 1 finding tied to this item is still open.') : vscode.l10n.t('Marked done, but {0} findings tied to this item are still open.', findings.length))}\n\n`);
    else if (findings.length) tooltip.appendMarkdown(`$(search) ${escapeMarkdown(vscode.l10n.t('{0} open findings tied to this item.', findings.length))}\n\n`);
    tooltip.appendText(item.description);
    tooltip.appendMarkdown('\n\n');
    if ('manualEvidence' in item && item.manualEvidence) tooltip.appendMarkdown(`$(note) ${escapeMarkdown(item.manualEvidence)}\n\n`);
    if (state.reason) tooltip.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Reason: {0}', state.reason))}\n\n`);
    if (state.updatedBy || state.updatedAt) {
      const when = state.updatedAt ? new Date(state.updatedAt).toLocaleString() : '';
      tooltip.appendMarkdown(`_${escapeMarkdown(state.updatedBy ? vscode.l10n.t('Updated by {0} {1}', state.updatedBy, when) : vscode.l10n.t('Updated {0}', when))}_\n\n`);
    }
    tooltip.appendMarkdown(`[${escapeMarkdown(vscode.l10n.t('Open documentation'))}](${item.docsUrl})`);
    treeItem.tooltip = tooltip;
    const manual = 'manualEvidence' in item && Boolean(item.manualEvidence);
    treeItem.contextValue = `checklistItem:${state.status}${manual ? ':manual' : ''}`;
    return treeItem;
  }

  private findingItem(folder: FolderChecklist, finding: FindingSummary): vscode.TreeItem {
    const uri = vscode.Uri.parse(finding.uri);
    const relative = path.posix.relative(folder.folder.uri.path, uri.path) || uri.path;
    const treeItem = new vscode.TreeItem(`${path.posix.basename(uri.path)}:${finding.line + 1}`);
    treeItem.description = finding.message;
    treeItem.tooltip = new vscode.MarkdownString().appendText(`${relative}:${finding.line + 1}:${finding.character + 1}\n${finding.ruleId}: ${finding.message}`);
    const icons: Record<FindingSummary['severity'], vscode.ThemeIcon> = {
      error: new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
      warning: new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')),
      information: new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground')),
      hint: new vscode.ThemeIcon('lightbulb'),
    };
    treeItem.iconPath = icons[finding.severity];
    treeItem.contextValue = 'checklistFinding';
    treeItem.command = { command: 'driverGuard.checklist.openFinding', title: vscode.l10n.t('Go to Finding'), arguments: [finding] };
    return treeItem;
  }

  private errorItem(folder: FolderChecklist): vscode.TreeItem {
    const snapshot = folder.store.snapshot as Exclude<StoreSnapshot, { kind: 'ok' }>;
    const label = snapshot.kind === 'newer'
      ? vscode.l10n.t('Checklist file is from a newer Driver Guard')
      : vscode.l10n.t('Checklist file cannot be used');
    const treeItem = new vscode.TreeItem(label);
    treeItem.id = `${this.folderKey(folder)}#error`;
    treeItem.description = snapshot.message;
    treeItem.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    treeItem.tooltip = new vscode.MarkdownString().appendText(vscode.l10n.t(
      '{0}: {1}\n\nDriver Guard will not overwrite this file. Fix it by hand (it is reloaded on save), or back it up and start a fresh checklist.',
      STATE_FILE_RELATIVE, snapshot.message,
    ));
    treeItem.contextValue = snapshot.kind === 'newer' ? 'checklistError:newer' : 'checklistError';
    treeItem.command = { command: 'driverGuard.checklist.openStateFile', title: vscode.l10n.t('Open File'), arguments: [folder.folder.uri] };
    return treeItem;
  }

  /** Applies a change to one item and reports failures; the tree is refreshed either way (reverting a checkbox). */
  async change(folder: FolderChecklist, itemId: string, change: ItemChange): Promise<boolean> {
    try {
      await folder.store.update(itemId, change);
      return true;
    } catch (error) {
      void showStoreError(folder, error);
      return false;
    } finally {
      this.changeEmitter.fire();
      this.stateEmitter.fire();
    }
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.folders.forEach((folder) => folder.dispose());
    this.disposables.forEach((disposable) => disposable.dispose());
    this.changeEmitter.dispose();
    this.stateEmitter.dispose();
  }
}

export function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+\-.!|<>$])/g, '\\$1');
}

/** Tells the user why a change was not saved, with the way out. */
export async function showStoreError(folder: FolderChecklist, error: unknown): Promise<void> {
  if (error instanceof ChecklistFileError) {
    const open = vscode.l10n.t('Open File');
    const reset = vscode.l10n.t('Back Up and Reset');
    const choice = await vscode.window.showErrorMessage(
      vscode.l10n.t('Driver Guard: the checklist of "{0}" was not saved: {1}. The file is left as it is.', folder.folder.name, error.snapshot.message),
      open, reset,
    );
    if (choice === open) await vscode.commands.executeCommand('driverGuard.checklist.openStateFile', folder.folder.uri);
    else if (choice === reset) await vscode.commands.executeCommand('driverGuard.checklist.backupAndReset', folder.folder.uri);
    return;
  }
  void vscode.window.showErrorMessage(vscode.l10n.t('Driver Guard: could not save the checklist of "{0}": {1}', folder.folder.name, error instanceof Error ? error.message : String(error)));
}
