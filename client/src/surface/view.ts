/**
 * The "Attack Surface" tree view beside the checklist: per workspace folder and driver, its devices → IOCTLs →
 * handler, with method/access icons and the open findings; dispatch routines and queues too. The model comes from
 * the server (`driverGuard/attackSurface`); this file only maps it to tree items.
 */
import * as vscode from 'vscode';
import type { AttackSurfaceResult, SurfaceDevice, SurfaceDriver, SurfaceFinding, SurfaceHandler, SurfaceIoctl, SurfaceLocation } from '../../../shared/protocol';

export const ATTACK_SURFACE_VIEW_ID = 'driverGuard.attackSurface';
export const OPEN_LOCATION_COMMAND = 'driverGuard.attackSurface.open';

export type SurfaceNode =
  | { kind: 'folder'; folder: vscode.WorkspaceFolder }
  | { kind: 'driver'; folder: vscode.WorkspaceFolder; driver: SurfaceDriver }
  | { kind: 'device'; folder: vscode.WorkspaceFolder; driver: SurfaceDriver; device?: SurfaceDevice; index: number }
  | { kind: 'ioctl'; folder: vscode.WorkspaceFolder; driver: SurfaceDriver; ioctl: SurfaceIoctl; parent: string }
  | { kind: 'handler'; folder: vscode.WorkspaceFolder; ioctl: SurfaceIoctl; handler: SurfaceHandler; parent: string }
  | { kind: 'group'; folder: vscode.WorkspaceFolder; driver: SurfaceDriver; group: 'dispatch' | 'queues' }
  | { kind: 'entry'; folder: vscode.WorkspaceFolder; label: string; description: string; location?: SurfaceLocation; icon: string; findings: SurfaceFinding[]; id: string }
  | { kind: 'finding'; finding: SurfaceFinding; id: string }
  | { kind: 'message'; text: string };

const METHOD_ICONS: Record<string, string> = {
  METHOD_BUFFERED: 'package',
  METHOD_IN_DIRECT: 'arrow-circle-right',
  METHOD_OUT_DIRECT: 'arrow-circle-left',
  METHOD_NEITHER: 'warning',
};

function shortMethod(method?: string): string {
  return method ? method.replace(/^METHOD_/, '') : 'method ?';
}

function shortAccess(access?: string): string {
  if (!access) return 'access ?';
  return access === 'FILE_ANY_ACCESS' ? 'any access' : access.replace(/FILE_|_ACCESS/g, '').toLowerCase().replace(' | ', '+');
}

function hex(value?: number): string {
  return value === undefined ? '' : `0x${value.toString(16).toUpperCase().padStart(8, '0')}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function worst(findings: readonly SurfaceFinding[]): vscode.ThemeColor | undefined {
  if (findings.some((finding) => finding.severity === 'error')) return new vscode.ThemeColor('problemsErrorIcon.foreground');
  if (findings.some((finding) => finding.severity === 'warning')) return new vscode.ThemeColor('problemsWarningIcon.foreground');
  if (findings.length > 0) return new vscode.ThemeColor('problemsInfoIcon.foreground');
  return undefined;
}

export function ioctlFindings(ioctl: SurfaceIoctl): SurfaceFinding[] {
  const seen = new Set<string>();
  return [...ioctl.findings, ...ioctl.handlers.flatMap((handler) => handler.findings)].filter((finding) => {
    const key = `${finding.file}:${finding.line}:${finding.character}:${finding.ruleId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function openCommand(location: SurfaceLocation | undefined, character = 0): vscode.Command | undefined {
  return location ? { command: OPEN_LOCATION_COMMAND, title: 'Open', arguments: [location.file, location.line, character] } : undefined;
}

function deviceLabel(device: SurfaceDevice): string {
  return device.name ?? device.nameExpression ?? (device.control ? 'control device' : device.kmdf ? 'PnP device' : 'device');
}

function deviceSecurity(device: SurfaceDevice): string {
  if (device.openTo) return `open to ${device.openTo}`;
  if (device.security === 'sddl') return device.sddl ? 'SDDL' : 'SDDL (not resolved)';
  return 'default security';
}

export class AttackSurfaceProvider implements vscode.TreeDataProvider<SurfaceNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<SurfaceNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after new models arrived (tests wait for it). */
  readonly onDidChangeModel = this.changed.event;
  private readonly models = new Map<string, AttackSurfaceResult>();
  /** Set while the server has not answered yet (or is not running). */
  status: 'loading' | 'ready' | 'unavailable' = 'loading';

  setModel(folder: vscode.WorkspaceFolder, result: AttackSurfaceResult | undefined): void {
    if (result) this.models.set(folder.uri.toString(), result);
    else this.models.delete(folder.uri.toString());
  }

  modelOf(folder: vscode.WorkspaceFolder): AttackSurfaceResult | undefined {
    return this.models.get(folder.uri.toString());
  }

  refresh(): void {
    this.emitter.fire(undefined);
    this.changed.fire();
  }

  private folders(): readonly vscode.WorkspaceFolder[] {
    return vscode.workspace.workspaceFolders ?? [];
  }

  getChildren(node?: SurfaceNode): SurfaceNode[] {
    if (!node) {
      const folders = this.folders();
      if (folders.length === 0) return [];
      if (folders.length > 1) return folders.map((folder) => ({ kind: 'folder', folder }));
      return this.folderChildren(folders[0]);
    }
    switch (node.kind) {
      case 'folder':
        return this.folderChildren(node.folder);
      case 'driver':
        return this.driverChildren(node.folder, node.driver);
      case 'device': {
        const parent = `${node.driver.folder}#${node.index}`;
        const ioctls = node.driver.ioctls.map((ioctl): SurfaceNode => ({ kind: 'ioctl', folder: node.folder, driver: node.driver, ioctl, parent }));
        return ioctls.length > 0 ? ioctls : [{ kind: 'message', text: 'No IOCTL declared or handled' }];
      }
      case 'ioctl': {
        const children: SurfaceNode[] = node.ioctl.handlers.map((handler) => ({ kind: 'handler', folder: node.folder, ioctl: node.ioctl, handler, parent: `${node.parent}/${node.ioctl.name}` }));
        if (node.ioctl.definition) {
          children.push({ kind: 'entry', folder: node.folder, label: 'Definition', description: [hex(node.ioctl.value), node.ioctl.method, node.ioctl.access].filter(Boolean).join(' · '), location: node.ioctl.definition, icon: 'symbol-constant', findings: [], id: `${node.parent}/${node.ioctl.name}/definition` });
        }
        children.push(...node.ioctl.findings.map((finding, index): SurfaceNode => ({ kind: 'finding', finding, id: `${node.parent}/${node.ioctl.name}/finding/${index}` })));
        return children;
      }
      case 'handler':
        return node.handler.findings.map((finding, index) => ({ kind: 'finding', finding, id: `${node.parent}/${node.handler.caseLocation.file}:${node.handler.caseLocation.line}/finding/${index}` }));
      case 'group':
        return node.group === 'dispatch'
          ? node.driver.dispatch.map((entry, index) => ({ kind: 'entry', folder: node.folder, label: entry.major, description: entry.function, location: entry.handlerLocation ?? entry.location, icon: entry.kmdf ? 'symbol-event' : 'symbol-method', findings: entry.findings, id: `${node.driver.folder}#dispatch/${index}` }))
          : node.driver.queues.map((queue, index) => ({ kind: 'entry', folder: node.folder, label: queue.config, description: [queue.defaultQueue ? 'default' : '', queue.dispatchType?.replace(/^WdfIoQueueDispatch/, ''), queue.callbacks.map((callback) => callback.field).join(', ')].filter(Boolean).join(' · '), location: queue.location, icon: 'list-ordered', findings: [], id: `${node.driver.folder}#queue/${index}` }));
      case 'entry':
        return node.findings.map((finding, index) => ({ kind: 'finding', finding, id: `${node.id}/finding/${index}` }));
      default:
        return [];
    }
  }

  private folderChildren(folder: vscode.WorkspaceFolder): SurfaceNode[] {
    const model = this.modelOf(folder);
    if (!model) return [{ kind: 'message', text: this.status === 'unavailable' ? 'The analysis server is not running' : 'Analyzing…' }];
    const drivers = model.surface.drivers;
    if (drivers.length === 0) return [{ kind: 'message', text: 'No driver found yet: open a driver source or run Scan Workspace' }];
    if (drivers.length === 1) return this.driverChildren(folder, drivers[0]);
    return drivers.map((driver) => ({ kind: 'driver', folder, driver }));
  }

  private driverChildren(folder: vscode.WorkspaceFolder, driver: SurfaceDriver): SurfaceNode[] {
    const children: SurfaceNode[] = driver.devices.length > 0
      ? driver.devices.map((device, index) => ({ kind: 'device', folder, driver, device, index }))
      : [{ kind: 'device', folder, driver, index: 0 }];
    if (driver.dispatch.length > 0) children.push({ kind: 'group', folder, driver, group: 'dispatch' });
    if (driver.queues.length > 0) children.push({ kind: 'group', folder, driver, group: 'queues' });
    return children;
  }

  getTreeItem(node: SurfaceNode): vscode.TreeItem {
    const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    const Expanded = vscode.TreeItemCollapsibleState.Expanded;
    const None = vscode.TreeItemCollapsibleState.None;
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.folder.name, Expanded);
        item.id = `folder:${node.folder.uri.toString()}`;
        item.iconPath = new vscode.ThemeIcon('root-folder');
        item.description = this.modelOf(node.folder)?.summary;
        item.contextValue = 'surfaceFolder';
        return item;
      }
      case 'driver': {
        const item = new vscode.TreeItem(node.driver.name, Expanded);
        item.id = `driver:${node.driver.folder}`;
        item.iconPath = new vscode.ThemeIcon('circuit-board');
        item.description = `${node.driver.model} · ${plural(node.driver.summary.devices, 'device')}, ${plural(node.driver.summary.ioctls, 'IOCTL')}`;
        item.contextValue = 'surfaceDriver';
        item.command = openCommand(node.driver.driverEntry);
        return item;
      }
      case 'device': {
        const device = node.device;
        const item = new vscode.TreeItem(device ? deviceLabel(device) : 'Device (not created in the code)', Expanded);
        item.id = `device:${node.driver.folder}#${node.index}`;
        if (device) {
          const open = Boolean(device.openTo) || device.security === 'default';
          item.iconPath = new vscode.ThemeIcon(open ? 'unlock' : 'lock', worst(device.findings));
          item.description = [deviceSecurity(device), device.secureOpen ? 'secure open' : device.kmdf ? '' : 'no secure open', device.exclusive ? 'exclusive' : ''].filter(Boolean).join(' · ');
          const tooltip = new vscode.MarkdownString();
          tooltip.appendMarkdown(`**${deviceLabel(device)}** (${device.api}${device.control ? ', control device' : ''})\n\n`);
          if (device.symbolicLinks.length > 0) tooltip.appendMarkdown(`Symbolic link: \`${device.symbolicLinks.join('`, `')}\`\n\n`);
          if (device.deviceType) tooltip.appendMarkdown(`Type: \`${device.deviceType}\` · characteristics: \`${device.characteristics ?? '-'}\`\n\n`);
          tooltip.appendMarkdown(device.sddl ? `SDDL: \`${device.sddl}\`` : device.sddlExpression ? `SDDL: \`${device.sddlExpression}\`` : 'No SDDL in the code (default security descriptor, or the INF\'s)');
          for (const finding of device.findings) tooltip.appendMarkdown(`\n\n$(warning) ${finding.ruleId}: ${finding.message}`);
          tooltip.supportThemeIcons = true;
          item.tooltip = tooltip;
          item.command = openCommand(device.location);
        } else {
          item.iconPath = new vscode.ThemeIcon('question');
          item.description = 'IoCreateDevice / WdfDeviceCreate not found';
        }
        item.contextValue = 'surfaceDevice';
        return item;
      }
      case 'ioctl': {
        const { ioctl } = node;
        const findings = ioctlFindings(ioctl);
        const item = new vscode.TreeItem(ioctl.name, ioctl.handlers.length > 0 || findings.length > 0 || ioctl.definition ? Collapsed : None);
        item.id = `ioctl:${node.parent}/${ioctl.name}`;
        item.iconPath = new vscode.ThemeIcon(ioctl.declaredOnly ? 'circle-outline' : METHOD_ICONS[ioctl.method ?? ''] ?? 'question', worst(findings));
        const parts = [shortMethod(ioctl.method), shortAccess(ioctl.access)];
        if (ioctl.declaredOnly) parts.push('declared, not handled');
        else if (ioctl.undeclared) parts.push('not declared here');
        if (findings.length > 0) parts.push(plural(findings.length, 'finding'));
        item.description = parts.join(' · ');
        const tooltip = new vscode.MarkdownString();
        tooltip.appendMarkdown(`**${ioctl.name}** ${hex(ioctl.value)}\n\n${ioctl.method ?? 'method unknown'} · ${ioctl.access ?? 'access unknown'}`);
        for (const handler of ioctl.handlers) tooltip.appendMarkdown(`\n\nHandler \`${handler.function ?? `${handler.dispatcher} (inline)`}\`: reads ${handler.reads.join(', ') || 'nothing'}, writes ${handler.writes.join(', ') || 'nothing'}, ${plural(handler.lengthChecks.length, 'length check')}`);
        item.tooltip = tooltip;
        item.contextValue = `surfaceIoctl:${ioctl.method ?? 'unknown'}:${ioctl.declaredOnly ? 'declared' : 'handled'}`;
        const target = ioctl.handlers[0] ? (ioctl.handlers[0].location ?? ioctl.handlers[0].caseLocation) : ioctl.definition;
        item.command = openCommand(target);
        return item;
      }
      case 'handler': {
        const { handler } = node;
        const item = new vscode.TreeItem(handler.function ?? `${handler.dispatcher} (inline)`, handler.findings.length > 0 ? Collapsed : None);
        item.id = `handler:${node.parent}/${handler.caseLocation.file}:${handler.caseLocation.line}`;
        item.iconPath = new vscode.ThemeIcon('symbol-function', worst(handler.findings));
        const parts = [handler.reads.length > 0 ? `reads ${handler.reads.join(', ')}` : '', handler.writes.length > 0 ? `writes ${handler.writes.join(', ')}` : '', plural(handler.lengthChecks.length, 'length check')];
        if (handler.probes > 0) parts.push(plural(handler.probes, 'probe'));
        item.description = parts.filter(Boolean).join(' · ');
        item.tooltip = handler.lengthChecks.length > 0 ? `Length checks:\n${handler.lengthChecks.map((check) => `• ${check.text}`).join('\n')}` : 'No length check';
        item.contextValue = 'surfaceHandler';
        item.command = openCommand(handler.location ?? handler.caseLocation);
        return item;
      }
      case 'group': {
        const dispatch = node.group === 'dispatch';
        const item = new vscode.TreeItem(dispatch ? 'Dispatch routines' : 'Queues', Collapsed);
        item.id = `group:${node.driver.folder}#${node.group}`;
        item.iconPath = new vscode.ThemeIcon(dispatch ? 'symbol-method' : 'list-ordered');
        item.description = String(dispatch ? node.driver.dispatch.length : node.driver.queues.length);
        return item;
      }
      case 'entry': {
        const item = new vscode.TreeItem(node.label, node.findings.length > 0 ? Collapsed : None);
        item.id = `entry:${node.id}`;
        item.iconPath = new vscode.ThemeIcon(node.icon, worst(node.findings));
        item.description = node.findings.length > 0 ? `${node.description} · ${plural(node.findings.length, 'finding')}` : node.description;
        item.command = openCommand(node.location);
        return item;
      }
      case 'finding': {
        const { finding } = node;
        const item = new vscode.TreeItem(finding.ruleId, None);
        item.id = `finding:${node.id}`;
        item.iconPath = new vscode.ThemeIcon(finding.severity === 'error' ? 'error' : finding.severity === 'warning' ? 'warning' : 'info', worst([finding]));
        item.description = `line ${finding.line + 1}`;
        item.tooltip = finding.message;
        item.contextValue = 'surfaceFinding';
        item.command = openCommand(finding, finding.character);
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, None);
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
    }
  }

  /** The IOCTL nodes of a folder (tests). */
  ioctlNodes(folder: vscode.WorkspaceFolder): Extract<SurfaceNode, { kind: 'ioctl' }>[] {
    const collect = (nodes: SurfaceNode[]): Extract<SurfaceNode, { kind: 'ioctl' }>[] => nodes.flatMap((node) => {
      if (node.kind === 'ioctl') return [node];
      if (node.kind === 'folder' && node.folder.uri.toString() !== folder.uri.toString()) return [];
      return node.kind === 'folder' || node.kind === 'driver' || node.kind === 'device' ? collect(this.getChildren(node)) : [];
    });
    return collect(this.getChildren());
  }

  dispose(): void {
    this.emitter.dispose();
    this.changed.dispose();
  }
}
