/** Creates the LanguageClient that runs the bundled server (dist/server.js) over IPC. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, RevealOutputChannelOn, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'c' },
  { scheme: 'file', language: 'cpp' },
  { scheme: 'untitled', language: 'c' },
  { scheme: 'untitled', language: 'cpp' },
];

/** C and C++ sources and headers: what the server analyzes and what the checklist's first-run view looks for. */
export const SOURCE_GLOB = '**/*.{c,h,cpp,cc,cxx,hpp,hh,hxx,inl}';

/**
 * The extension's file watchers, one per concern, created once at activation: the language client forwards their
 * events (restarting the client reuses them instead of leaking new ones) and the checklist listens to the same ones.
 */
export interface FileWatchers {
  /** Sources created, changed or deleted on disk (git pull, another editor): scanned files stay current. */
  sources: vscode.FileSystemWatcher;
  /** Deletions of anything: deleting a folder reports only the folder, and its scanned files' findings must go too. */
  deletions: vscode.FileSystemWatcher;
}

export function createFileWatchers(): FileWatchers {
  return {
    sources: vscode.workspace.createFileSystemWatcher(SOURCE_GLOB),
    deletions: vscode.workspace.createFileSystemWatcher('**/*', true, true, false),
  };
}

export function createLanguageClient(context: vscode.ExtensionContext, outputChannel: vscode.LogOutputChannel, watchers: FileWatchers): LanguageClient {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc, options: { env: { ...process.env, DRIVER_GUARD_VERSION: String(context.extension.packageJSON.version) } } },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    synchronize: {
      configurationSection: 'driverGuard',
      fileEvents: [watchers.sources, watchers.deletions],
    },
    initializationOptions: { debounceMs: readDebounce() },
    connectionOptions: { maxRestartCount: 4 },
  };
  return new LanguageClient('driverGuard', 'Driver Guard', serverOptions, clientOptions);
}

/** Test and benchmark hook: DRIVER_GUARD_DEBOUNCE_MS overrides the typing pause. */
function readDebounce(): number | undefined {
  const value = Number(process.env.DRIVER_GUARD_DEBOUNCE_MS);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
