/** The language status item: shows whether the server runs, analyzes, or failed (next to the language mode). */
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { STATUS_NOTIFICATION, type StatusParams } from '../../shared/protocol';
import { DOCUMENT_SELECTOR } from './client';

export class ServerStatus implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.item = vscode.languages.createLanguageStatusItem('driverGuard.status', DOCUMENT_SELECTOR);
    this.item.name = 'Driver Guard';
    this.item.command = { command: 'driverGuard.showOutput', title: 'Show Log' };
    this.show('starting');
  }

  /** Follows one client's lifecycle; called again after each restart. */
  attach(client: LanguageClient): void {
    this.disposables.push(
      client.onDidChangeState((event) => {
        if (event.newState === State.Running) this.show('ready');
        else if (event.newState === State.Starting) this.show('starting');
        else this.show('stopped');
      }),
    );
  }

  /** Called when the server reports its state. */
  onServerStatus(params: StatusParams): void {
    this.show(params.state, params.detail);
  }

  show(state: StatusParams['state'] | 'starting' | 'stopped', detail?: string): void {
    const labels: Record<string, string> = {
      starting: '$(loading~spin) Driver Guard starting',
      ready: '$(shield) Driver Guard',
      analyzing: '$(loading~spin) Driver Guard analyzing',
      scanning: '$(loading~spin) Driver Guard scanning',
      error: '$(error) Driver Guard error',
      stopped: '$(debug-stop) Driver Guard stopped',
    };
    this.item.text = labels[state] ?? 'Driver Guard';
    this.item.detail = detail ?? (state === 'stopped' ? 'The server is not running: use "Driver Guard: Restart Server".' : undefined);
    this.item.severity = state === 'error' || state === 'stopped' ? vscode.LanguageStatusSeverity.Error : vscode.LanguageStatusSeverity.Information;
    this.item.busy = state === 'starting' || state === 'analyzing' || state === 'scanning';
    this.state = state;
  }

  state: string = 'starting';

  dispose(): void {
    this.item.dispose();
    this.disposables.forEach((disposable) => disposable.dispose());
  }
}

export { STATUS_NOTIFICATION };
