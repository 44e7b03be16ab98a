/**
 * The language server: wiring only. Documents are analyzed by `DocumentAnalysis`, quick fixes come from
 * `code-actions`, settings from `SettingsCache`. The only folder besides cli/ that does I/O.
 */
import {
  CodeActionKind,
  createConnection,
  DidChangeConfigurationNotification,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import {
  ATTACK_SURFACE_REQUEST,
  FINDINGS_CHANGED_NOTIFICATION,
  FINDINGS_REQUEST,
  type AttackSurfaceParams,
  type AttackSurfaceResult,
  STATUS_NOTIFICATION,
  type FindingsParams,
  type FindingsResult,
  type StatusParams,
} from '../../../shared/protocol';
import { createAnalyzer, WorkspaceIndex, type Analyzer } from '../core';
import { summaryLine } from '../analysis/attack-surface';
import { dataFlowSvg, diagramFiles, threatModelMarkdown } from '../analysis/threat-model';
import { codeActions, FIX_ALL_KIND } from './code-actions';
import { DocumentAnalysis } from './document-analysis';
import { FindingsStore } from './findings-store';
import { SettingsCache } from './settings';
import { registerWorkspaceScan } from './workspace-scan';

interface InitializationOptions {
  /** Pause after the last keystroke before analyzing (ms). */
  debounceMs?: number;
  /** Time the rules of an analysis may take before it is cut short (and retried without a limit); tests make it tiny. */
  ruleBudgetMs?: number;
}

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const settings = new SettingsCache(connection);
const workspace = new WorkspaceIndex();
const findings = new FindingsStore();
let folderPaths: string[] = [];
let folderUris: string[] = [];
let analysis: DocumentAnalysis | undefined;
let analyzer: Analyzer | undefined;
let findingsChangedTimer: NodeJS.Timeout | undefined;

function sendStatus(params: StatusParams): void {
  void connection.sendNotification(STATUS_NOTIFICATION, params);
}

/** Tells the client (checklist view) that evidence changed; coalesced so a scan sends a few, not thousands. */
export function notifyFindingsChanged(): void {
  if (findingsChangedTimer) return;
  findingsChangedTimer = setTimeout(() => {
    findingsChangedTimer = undefined;
    void connection.sendNotification(FINDINGS_CHANGED_NOTIFICATION);
  }, 300);
}

connection.onInitialize(async (params: InitializeParams): Promise<InitializeResult> => {
  const options = (params.initializationOptions ?? {}) as InitializationOptions;
  folderUris = (params.workspaceFolders ?? []).map((folder) => folder.uri);
  folderPaths = folderUris.map((uri) => URI.parse(uri).fsPath);
  settings.setSupportsConfiguration(Boolean(params.capabilities.workspace?.configuration));
  // C++ is loaded on the first C++ file (DocumentAnalysis and the workspace scan call `prepare`): most driver
  // workspaces are C only, and the C++ grammar costs about 10 MB.
  analyzer = await createAnalyzer({ preload: ['c'] });
  const debounceMs = typeof options.debounceMs === 'number' && options.debounceMs >= 0 ? options.debounceMs : 200;
  const ruleBudgetMs = typeof options.ruleBudgetMs === 'number' && options.ruleBudgetMs > 0 ? options.ruleBudgetMs : undefined;
  analysis = new DocumentAnalysis(connection, analyzer, settings, workspace, () => folderPaths, debounceMs, (uri, current, surface) => {
    findings.setOpen(uri, current, surface);
    notifyFindingsChanged();
  }, ruleBudgetMs);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      // The process id lets the client (and the end-to-end tests) tell a restarted server from the old one.
      experimental: { processId: process.pid },
    },
    serverInfo: { name: 'Driver Guard', version: process.env.DRIVER_GUARD_VERSION },
  };
});

connection.onInitialized(() => {
  void connection.client.register(DidChangeConfigurationNotification.type, { section: 'driverGuard' }).catch(() => undefined);
  connection.workspace.onDidChangeWorkspaceFolders((event) => {
    folderUris = folderUris.filter((uri) => !event.removed.some((folder) => folder.uri === uri)).concat(event.added.map((folder) => folder.uri));
    folderPaths = folderUris.map((uri) => URI.parse(uri).fsPath);
  });
  sendStatus({ state: 'ready' });
});

connection.onDidChangeConfiguration(() => {
  settings.clear();
  for (const document of documents.all()) analysis?.schedule(document, true);
});

documents.onDidOpen((event) => analysis?.schedule(event.document, true));
documents.onDidChangeContent((event) => analysis?.schedule(event.document));
documents.onDidClose((event) => {
  analysis?.close(event.document.uri);
  findings.closeDocument(event.document.uri);
  // Keep the workspace scan's diagnostics for the file; otherwise clear what the open document showed.
  if (!findings.isScanned(event.document.uri)) void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  notifyFindingsChanged();
});

connection.onCodeAction((params) => {
  const document = documents.get(params.textDocument.uri);
  if (!document) return [];
  try {
    return codeActions(params, document, analysis?.published(document.uri));
  } catch (error) {
    connection.console.error(`Code actions failed: ${String(error)}`);
    return [];
  }
});

connection.onRequest(FINDINGS_REQUEST, (params: FindingsParams): FindingsResult => ({ findings: findings.all(params?.folderUri) }));

connection.onRequest(ATTACK_SURFACE_REQUEST, (params: AttackSurfaceParams): AttackSurfaceResult => {
  const surface = findings.surface(params?.folderUri);
  const result: AttackSurfaceResult = { surface, summary: summaryLine(surface.summary) };
  const files = params?.diagrams ? diagramFiles(surface, params.diagrams) : undefined;
  if (params?.report) {
    const root = params.folderUri ? (params.folderUri.endsWith('/') ? params.folderUri : `${params.folderUri}/`) : undefined;
    const display = (uri: string) => (root && uri.startsWith(root) ? decodeURIComponent(uri.slice(root.length)) : URI.parse(uri).fsPath);
    result.report = threatModelMarkdown(surface, {
      display,
      // Links relative to the report, which the client writes at the folder's root.
      link: (location) => (root && location.file.startsWith(root) ? `${location.file.slice(root.length)}#L${location.line + 1}` : undefined),
      title: params.title,
      generator: `Driver Guard ${process.env.DRIVER_GUARD_VERSION ?? ''}`.trim(),
      diagramFile: (driver) => files?.get(driver),
    });
  }
  if (files) result.diagrams = [...files].map(([driver, file]) => ({ driver: driver.name, file, svg: dataFlowSvg(driver) }));
  return result;
});

registerWorkspaceScan({
  connection,
  documents,
  findings,
  workspace,
  settings,
  analyzer: () => analyzer,
  folders: () => folderUris,
  onChanged: notifyFindingsChanged,
  sendStatus,
});

process.on('uncaughtException', (error) => {
  connection.console.error(`Unexpected error in the Driver Guard server: ${error.stack ?? error.message}`);
});

documents.listen(connection);
connection.listen();
