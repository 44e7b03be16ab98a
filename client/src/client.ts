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

export function createLanguageClient(context: vscode.ExtensionContext, outputChannel: vscode.LogOutputChannel): LanguageClient {
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
      // Closed files found by "Scan Workspace" stay current when they change on disk (git pull, another editor).
      fileEvents: [
        vscode.workspace.createFileSystemWatcher('**/*.{c,h,cpp,cc,cxx,hpp,hh,hxx,inl}'),
        // Deleting a folder reports only the folder: its scanned files' findings must go too.
        vscode.workspace.createFileSystemWatcher('**/*', true, true, false),
      ],
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
