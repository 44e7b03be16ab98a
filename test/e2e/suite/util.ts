/** Helpers for the end-to-end suite: polling waits (never fixed sleeps) and the extension's API. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DriverGuardApi } from '../../../client/src/extension';
import { FINDINGS_REQUEST, type FindingsResult } from '../../../shared/protocol';

export const EXTENSION_ID = 'driver-guard.driver-guard';

/** `explain` describes what was seen instead, so a timeout in CI says more than "timed out". */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
  explain?: () => string | Promise<string>,
): Promise<T> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seen = explain ? `; seen instead: ${await Promise.resolve(explain()).catch((error: unknown) => `(explain failed: ${String(error)})`)}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}${seen}`);
}

/** What the editor and the server know about a file: the first thing to read when its diagnostics do not come. */
export async function describeFileState(uri: vscode.Uri): Promise<string> {
  const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
  const all = vscode.languages.getDiagnostics(uri).map((diagnostic) => `${diagnostic.source ?? '?'}:${codeOf(diagnostic) ?? '?'}`);
  const extension = await api();
  const client = extension.client;
  let server = 'no client';
  if (client) {
    const result = await client.sendRequest<FindingsResult>(FINDINGS_REQUEST, {}).catch((error: unknown) => ({ error: String(error) }));
    server = 'error' in result ? result.error : result.findings.filter((finding) => finding.uri === uri.toString()).map((finding) => finding.ruleId).join(', ') || 'none';
  }
  return `document ${document ? `open (version ${document.version})` : 'not open'}; client ${client ? (client.isRunning() ? 'running' : `state ${client.state}`) : 'none'}; diagnostics [${all.join(', ')}]; server findings [${server}]`;
}

export function workspaceFile(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the end-to-end tests need a workspace folder');
  return vscode.Uri.file(path.join(folder.uri.fsPath, ...parts));
}

export async function api(): Promise<DriverGuardApi> {
  const extension = vscode.extensions.getExtension<DriverGuardApi>(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  const exported = await extension.activate();
  await exported.ready();
  return exported;
}

export function driverGuardDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'Driver Guard');
}

export function codeOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (typeof code === 'string' || typeof code === 'number') return String(code);
  return code ? String(code.value) : undefined;
}

export async function openDocument(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(document);
}

/** Sets a driverGuard setting for the workspace and returns a function that restores it. */
export async function setSetting(key: string, value: unknown): Promise<() => Thenable<void>> {
  const configuration = vscode.workspace.getConfiguration('driverGuard');
  const previous = configuration.inspect(key)?.workspaceValue;
  await configuration.update(key, value, vscode.ConfigurationTarget.Workspace);
  return () => vscode.workspace.getConfiguration('driverGuard').update(key, previous, vscode.ConfigurationTarget.Workspace);
}
